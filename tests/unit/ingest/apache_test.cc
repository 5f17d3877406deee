#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/ingest/parsers.h"
#include "tests/testing/testing.h"

namespace cairn::ingest {
namespace {

using store::Event;

std::vector<std::string> Lines(const std::filesystem::path& p) {
  std::vector<std::string> out;
  const std::string text = testing::ReadFile(p);
  for (auto line : Split(text, '\n')) {
    if (!Trim(line).empty()) out.emplace_back(line);
  }
  return out;
}

TEST(ApacheAccessParserTest, EveryRealSampleLineParses) {
  int total = 0;
  for (const char* rel : {"apache-access/elastic-integrations/test-access-basic.log",
                          "apache-access/logstash-patterns-core/derived/httpd_spec_access.log"}) {
    for (const auto& line : Lines(testing::SharedData() / rel)) {
      Event e;
      Status st = ParseApacheAccessLine(line, nullptr, &e);
      EXPECT_TRUE(st.ok()) << rel << ": " << (st.ok() ? "" : st.error().message()) << "\n" << line;
      ++total;
    }
  }
  EXPECT_EQ(total, 20);
}

TEST(ApacheAccessParserTest, ElasticSamplesHaveExactFields) {
  auto lines = Lines(testing::SharedData() / "apache-access/elastic-integrations/test-access-basic.log");
  ASSERT_EQ(lines.size(), 17u);
  Event e;
  // IPv6 client, common format, +0200.
  ASSERT_TRUE(ParseApacheAccessLine(lines[0], nullptr, &e).ok());
  EXPECT_EQ(e.source_type, store::SourceType::kApacheAccess);
  EXPECT_EQ(e.source_ip, "::1");
  EXPECT_EQ(e.time, *ParseIso8601("2016-12-26T14:16:29Z"));
  EXPECT_EQ(e.action, "GET");
  EXPECT_EQ(e.object_key, "/favicon.ico");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.bytes, 209);
  EXPECT_EQ(e.outcome, "success");
  EXPECT_EQ(e.user_agent, "");
  // combined
  ASSERT_TRUE(ParseApacheAccessLine(lines[1], nullptr, &e).ok());
  EXPECT_EQ(e.source_ip, "192.168.33.1");
  EXPECT_EQ(e.object_key, "/hello");
  EXPECT_EQ(e.user_agent,
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:50.0) Gecko/20100101 Firefox/50.0");
  // "-" request, '-' bytes
  ASSERT_TRUE(ParseApacheAccessLine(lines[2], nullptr, &e).ok());
  EXPECT_EQ(e.action, "");
  EXPECT_EQ(e.object_key, "");
  EXPECT_EQ(e.status, 408);
  EXPECT_EQ(e.bytes, 0);
  // host name as client
  ASSERT_TRUE(ParseApacheAccessLine(lines[4], nullptr, &e).ok());
  EXPECT_EQ(e.source_ip, "monitoring-server");
  EXPECT_EQ(e.object_key, "/status");
  // X-Forwarded-For trailing extra with spaces inside quotes
  ASSERT_TRUE(ParseApacheAccessLine(lines[8], nullptr, &e).ok());
  EXPECT_EQ(e.source_ip, "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6");
  EXPECT_EQ(e.object_key, "/A%20Beka%20G1%20Howe/029_AND_30/15%20reading%20elephants.mp4");
  EXPECT_EQ(e.user_agent, "Mozilla/5.0 (Windows NT 6.1; rv:15.0) Gecko/20120716 Firefox/15.0a2");
  // extra response-time field between bytes and referer
  ASSERT_TRUE(ParseApacheAccessLine(lines[10], nullptr, &e).ok());
  EXPECT_EQ(e.bytes, 612);
  EXPECT_EQ(e.user_agent, "Mozilla/5.0 (Windows NT 6.1; rv:15.0) Gecko/20120716 Firefox/15.0a2");
  // ident and authenticated user
  ASSERT_TRUE(ParseApacheAccessLine(lines[12], nullptr, &e).ok());
  EXPECT_EQ(e.actor_name, "frank");
  EXPECT_EQ(e.time, *ParseIso8601("2000-10-10T20:55:36Z"));
  // script injection as the request: no method
  ASSERT_TRUE(ParseApacheAccessLine(lines[13], nullptr, &e).ok());
  EXPECT_EQ(e.action, "");
  EXPECT_EQ(e.source_ip, "127.0.0.1");
  EXPECT_EQ(e.status, 400);
  // vhost_combined with TLS garbage
  ASSERT_TRUE(ParseApacheAccessLine(lines[14], nullptr, &e).ok());
  EXPECT_EQ(e.host, "127.0.1.1");
  EXPECT_EQ(e.source_ip, "127.0.0.1");
  EXPECT_EQ(e.action, "");
  EXPECT_EQ(e.bytes, 483);
  // last line without newline, "\n" request
  ASSERT_TRUE(ParseApacheAccessLine(lines[16], nullptr, &e).ok());
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.bytes, 226);
}

TEST(ApacheAccessParserTest, LogstashSpecLines) {
  auto lines = Lines(testing::SharedData() / "apache-access/logstash-patterns-core/derived/httpd_spec_access.log");
  ASSERT_EQ(lines.size(), 3u);
  Event e;
  ASSERT_TRUE(ParseApacheAccessLine(lines[1], nullptr, &e).ok());
  EXPECT_EQ(e.actor_name, "username@example.com");
  EXPECT_EQ(e.status, 400);
  ASSERT_TRUE(ParseApacheAccessLine(lines[2], nullptr, &e).ok());
  EXPECT_EQ(e.status, 0);  // '-' status
  EXPECT_EQ(e.outcome, "");
  EXPECT_EQ(e.action, "OPTIONS");
  EXPECT_EQ(e.actor_name, "a.user");
  EXPECT_EQ(e.time, *ParseIso8601("2020-01-11T22:05:27Z"));
}

TEST(ApacheAccessParserTest, JunkIsRejectedWithReason) {
  Event e;
  EXPECT_EQ(ParseApacheAccessLine("hello world", nullptr, &e).error().message(),
            "no [time] field (expected an Apache access log line)");
  EXPECT_EQ(ParseApacheAccessLine("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" abc 1",
                                  nullptr, &e)
                .error()
                .message(),
            "expected HTTP status after the request, got 'abc'");
  EXPECT_FALSE(ParseApacheAccessLine("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700]", nullptr, &e).ok());
  // 5xx is a failure
  ASSERT_TRUE(ParseApacheAccessLine("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"POST /x HTTP/1.1\" 503 0",
                                    nullptr, &e)
                  .ok());
  EXPECT_EQ(e.outcome, "failure");
}

TEST(ApacheAccessParserTest, CustomLogFormat) {
  auto fmt = ApacheLogFormat::Compile("%a %{Host}i %u [%{%Y-%m-%d %H:%M:%S %z}t] \"%r\" %>s %B %D \"%{User-Agent}i\"");
  ASSERT_TRUE(fmt.ok()) << fmt.error().message();
  Event e;
  Status st = ParseApacheAccessLine(
      "203.0.113.9 shop.example.com alice [2024-01-19 10:45:00 +0100] \"GET /cart?id=7 HTTP/2.0\" 302 0 1234 \"curl/8.1 \\\"x\\\"\"",
      &*fmt, &e);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(e.source_ip, "203.0.113.9");
  EXPECT_EQ(e.actor_name, "alice");
  EXPECT_EQ(e.time, *ParseIso8601("2024-01-19T09:45:00Z"));
  EXPECT_EQ(e.action, "GET");
  EXPECT_EQ(e.object_key, "/cart?id=7");
  EXPECT_EQ(e.status, 302);
  EXPECT_EQ(e.bytes, 0);
  EXPECT_EQ(e.user_agent, "curl/8.1 \"x\"");
  EXPECT_FALSE(ParseApacheAccessLine("nothing like it", &*fmt, &e).ok());
}

TEST(ApacheAccessParserTest, StockFormatNamesAndBadFormats) {
  auto combined = ApacheLogFormat::Compile("combined");
  ASSERT_TRUE(combined.ok());
  Event e;
  ASSERT_TRUE(ParseApacheAccessLine("10.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] \"GET /a b HTTP/1.0\" 200 5 \"-\" \"ua\"",
                                    &*combined, &e)
                  .ok());
  EXPECT_EQ(e.object_key, "/a b");
  EXPECT_EQ(e.user_agent, "ua");
  auto vhost = ApacheLogFormat::Compile("vhost_combined");
  ASSERT_TRUE(vhost.ok());
  ASSERT_TRUE(ParseApacheAccessLine("www.example.com:443 10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 5 \"-\" \"ua\"",
                                    &*vhost, &e)
                  .ok());
  EXPECT_EQ(e.host, "www.example.com");
  EXPECT_EQ(ApacheLogFormat::Compile("%h %Q %t").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ApacheLogFormat::Compile("%h %u").error().message(), "LogFormat has no %t: events need a time");
  EXPECT_FALSE(ApacheLogFormat::Compile("%{Referer").ok());
}

TEST(ApacheErrorParserTest, Apache22AndApache24) {
  Event e;
  ASSERT_TRUE(ParseApacheErrorLine("[Mon Dec 26 16:22:08 2016] [error] [client 192.168.33.1] File does not exist: /var/www/favicon.ico", &e).ok());
  EXPECT_EQ(e.source_type, store::SourceType::kApacheError);
  EXPECT_EQ(e.time, *ParseIso8601("2016-12-26T16:22:08Z"));
  EXPECT_EQ(e.action, "error");
  EXPECT_EQ(e.source_ip, "192.168.33.1");
  EXPECT_EQ(e.error_code, "");
  ASSERT_TRUE(ParseApacheErrorLine("[Mon Aug 31 07:15:38.664897 2015] [proxy_fcgi:error] [pid 28786:tid 140169629898496] [client 81.139.1.34:52042] AH01071: Got error 'Primary script unknown", &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2015-08-31T07:15:38.664Z"));
  EXPECT_EQ(e.action, "proxy_fcgi:error");
  EXPECT_EQ(e.source_ip, "81.139.1.34");
  EXPECT_EQ(e.error_code, "AH01071");
  ASSERT_TRUE(ParseApacheErrorLine("[Tue Apr 14 14:27:52.605084 2020] [:error] [pid 5688] [client 192.168.10.110:8196] script '/login/wp-login.php' not found or unable to stat", &e).ok());
  EXPECT_EQ(e.action, "error");
  EXPECT_EQ(e.source_ip, "192.168.10.110");
  // client after "file.c(N):"
  ASSERT_TRUE(ParseApacheErrorLine("[Fri Feb 01 22:03:08.319124 2019] [authz_core:debug] [pid 9:tid 140597881775872] mod_authz_core.c(820): [client 172.17.0.1:50752] AH01626: authorization result of <RequireAny>: granted", &e).ok());
  EXPECT_EQ(e.source_ip, "172.17.0.1");
  EXPECT_EQ(e.error_code, "AH01626");
  EXPECT_EQ(e.action, "authz_core:debug");
  // ISO time with offset
  ASSERT_TRUE(ParseApacheErrorLine("[2025-07-22 15:45:51.323610 +0200] [core:notice] [pid 1:tid 139958433106048] AH00094: Command line: 'httpd -D FOREGROUND'", &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2025-07-22T13:45:51.323Z"));
  EXPECT_EQ(e.error_code, "AH00094");
  // bare AH line
  EXPECT_TRUE(IsApacheErrorRecordStart("AH00558: apache2: Could not reliably determine"));
  ASSERT_TRUE(ParseApacheErrorLine("AH00558: apache2: Could not reliably determine", &e).ok());
  EXPECT_EQ(e.error_code, "AH00558");
  EXPECT_EQ(e.time, 0);
  EXPECT_FALSE(IsApacheErrorRecordStart("'"));
  EXPECT_FALSE(IsApacheErrorRecordStart("[not a time] x"));
  EXPECT_EQ(ParseApacheErrorLine("[bad time] [error] x", &e).error().message(), "invalid time 'bad time'");
}

TEST(ApacheErrorParserTest, EveryRealSampleRecordStartParses) {
  int starts = 0;
  for (const char* rel : {"apache-error/elastic-integrations/test-error-basic.log",
                          "apache-error/elastic-integrations/test-error-trace.log",
                          "apache-access/logstash-patterns-core/derived/httpd_spec_error.log"}) {
    for (const auto& line : Lines(testing::SharedData() / rel)) {
      if (!IsApacheErrorRecordStart(line)) continue;
      Event e;
      Status st = ParseApacheErrorLine(line, &e);
      EXPECT_TRUE(st.ok()) << line;
      ++starts;
    }
  }
  EXPECT_EQ(starts, 7 + 1 + 8);  // the "'" line continues the record before it
}

}  // namespace
}  // namespace cairn::ingest
