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

TEST(S3AccessParserTest, AwsDocsLineHasEveryField) {
  auto lines = Lines(testing::SharedData() / "s3-access/aws-docs/s3_userguide_LogFormat_example.log");
  ASSERT_EQ(lines.size(), 5u);
  Event e;
  ASSERT_TRUE(ParseS3AccessLine(lines[0], &e).ok());
  EXPECT_EQ(e.source_type, store::SourceType::kS3Access);
  EXPECT_EQ(e.time, *ParseIso8601("2019-02-06T00:00:38Z"));
  EXPECT_EQ(e.account, "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be");
  EXPECT_EQ(e.bucket, "DOC-EXAMPLE-BUCKET1");
  EXPECT_EQ(e.source_ip, "192.0.2.3");
  EXPECT_EQ(e.actor_arn, "");
  EXPECT_EQ(e.actor_type, "CanonicalUser");
  EXPECT_EQ(e.request_id, "3E57427F3EXAMPLE");
  EXPECT_EQ(e.action, "REST.GET.VERSIONING");
  EXPECT_EQ(e.object_key, "");
  EXPECT_EQ(e.status, 200);
  EXPECT_EQ(e.error_code, "");
  EXPECT_EQ(e.bytes, 113);
  EXPECT_EQ(e.user_agent, "S3Console/0.4");
  EXPECT_EQ(e.region, "us-west-1");
  EXPECT_EQ(e.outcome, "success");
  EXPECT_EQ(e.raw, lines[0]);
  EXPECT_EQ(CountS3Fields(lines[0]), 26u);  // through access point ARN and aclRequired

  ASSERT_TRUE(ParseS3AccessLine(lines[2], &e).ok());
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.error_code, "NoSuchBucketPolicy");
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_TRUE(EndsWith(e.raw, "TLSV1.2 - Yes"));  // the trailing blank is trimmed
  ASSERT_TRUE(ParseS3AccessLine(lines[4], &e).ok());
  EXPECT_EQ(e.action, "REST.PUT.OBJECT");
  EXPECT_EQ(e.object_key, "s3-dg.pdf");
  EXPECT_EQ(e.bytes, 0);  // '-' bytes sent means zero
}

TEST(S3AccessParserTest, EveryRealSampleLineParses) {
  int total = 0;
  for (const char* rel : {"s3-access/aws-docs/s3_userguide_LogFormat_example.log",
                          "s3-access/elastic-beats/s3_server_access.log",
                          "s3-access/elastic-beats/test.log",
                          "s3-access/elastic-integrations/test-s3-server-access.log",
                          "s3-access/logstash-patterns-core/derived/s3_spec_lines.log"}) {
    for (const auto& line : Lines(testing::SharedData() / rel)) {
      Event e;
      Status st = ParseS3AccessLine(line, &e);
      EXPECT_TRUE(st.ok()) << rel << ": " << (st.ok() ? "" : st.error().message()) << "\n" << line;
      EXPECT_GT(e.time, 0);
      ++total;
    }
  }
  EXPECT_EQ(total, 29);
}

TEST(S3AccessParserTest, ServiceRequestersAndDashes) {
  auto lines = Lines(testing::SharedData() / "s3-access/elastic-integrations/test-s3-server-access.log");
  ASSERT_EQ(lines.size(), 10u);
  Event e;
  // BATCH.DELETE.OBJECT: unquoted '-' request-URI, referrer and user agent.
  ASSERT_TRUE(ParseS3AccessLine(lines[4], &e).ok());
  EXPECT_EQ(e.action, "BATCH.DELETE.OBJECT");
  EXPECT_EQ(e.object_key, "jolokia-war-1.5.0.war");
  EXPECT_EQ(e.status, 204);
  EXPECT_EQ(e.actor_arn, "arn:aws:iam::123456:user/test@elastic.co");
  EXPECT_EQ(e.actor_type, "IAMUser");
  EXPECT_EQ(e.actor_name, "test@elastic.co");
  EXPECT_EQ(e.user_agent, "");
  EXPECT_EQ(e.region, "eu-central-1");
  // '-' remote IP and a service requester.
  ASSERT_TRUE(ParseS3AccessLine(lines[6], &e).ok());
  EXPECT_EQ(e.source_ip, "");
  EXPECT_EQ(e.actor_type, "AWSService");
  EXPECT_EQ(e.actor_name, "svc:delivery.logs.amazonaws.com");
  EXPECT_EQ(e.region, "us-gov-west-1");
  // '-' status.
  ASSERT_TRUE(ParseS3AccessLine(lines[8], &e).ok());
  EXPECT_EQ(e.status, 0);
  EXPECT_EQ(e.outcome, "");
  // Lifecycle expiry by S3 itself.
  ASSERT_TRUE(ParseS3AccessLine(lines[9], &e).ok());
  EXPECT_EQ(e.action, "S3.EXPIRE.OBJECT");
  EXPECT_EQ(e.actor_name, "AmazonS3");
  EXPECT_EQ(e.time, *ParseIso8601("2025-03-25T19:28:02Z"));
}

TEST(S3AccessParserTest, TimeZoneOffsetIsApplied) {
  auto lines = Lines(testing::SharedData() / "s3-access/elastic-beats/test.log");
  Event e;
  ASSERT_EQ(lines.size(), 6u);
  ASSERT_TRUE(ParseS3AccessLine(lines[5], &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2021-02-09T12:48:42Z"));  // 14:48:42 +0200
  EXPECT_EQ(e.action, "REST.OPTIONS.FAKE");
}

TEST(S3AccessParserTest, AssumedRoleRequester) {
  auto lines = Lines(testing::SharedData() / "s3-access/elastic-beats/s3_server_access.log");
  Event e;
  ASSERT_TRUE(ParseS3AccessLine(lines[0], &e).ok());
  EXPECT_EQ(e.actor_type, "AssumedRole");
  EXPECT_EQ(e.actor_name, "TrustedAdvisor_627959692251_784ab70b-8cc9-4d37-a2ec-2ff4d0c08af9");
  EXPECT_EQ(e.user_agent.substr(0, 27), "AWS-Support-TrustedAdvisor,");
  EXPECT_EQ(e.region, "ap-southeast-1");
}

TEST(S3AccessParserTest, ShortLineIsRejectedWithFieldCount) {
  Event e;
  Status st = ParseS3AccessLine("owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3", &e);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "expected at least 18 fields, got 4");  // [time] is one field
  st = ParseS3AccessLine("a b c", &e);
  EXPECT_EQ(st.error().message(), "expected at least 18 fields, got 3");
}

TEST(S3AccessParserTest, EscapedQuotesAndTrailingFields) {
  std::string line =
      "own bkt [01/Mar/2024:10:00:00 -0130] 198.51.100.7 arn:aws:sts::111122223333:assumed-role/R/s "
      "REQ1 REST.GET.OBJECT a%20b.txt \"GET /bkt/a%20b.txt HTTP/1.1\" 403 AccessDenied 243 - 5 - "
      "\"https://x.example/\" \"agent \\\"quoted\\\" v1\" - hostid SigV4 TLS_AES AuthHeader "
      "bkt.s3.eu-west-3.amazonaws.com TLSv1.3 - - future1 future2";
  Event e;
  ASSERT_TRUE(ParseS3AccessLine(line, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2024-03-01T11:30:00Z"));
  EXPECT_EQ(e.user_agent, "agent \"quoted\" v1");
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_EQ(e.error_code, "AccessDenied");
  EXPECT_EQ(e.region, "eu-west-3");
  EXPECT_EQ(CountS3Fields(line), 28u);
}

TEST(S3AccessParserTest, BadTimeAndStatusAreRejected) {
  Event e;
  std::string base = "o b [99/Foo/2019:00:00:38 +0000] ip r id op k \"GET / HTTP/1.1\" 200 - 1 - 1 - \"-\" \"ua\" -";
  EXPECT_EQ(ParseS3AccessLine(base, &e).error().message().substr(0, 12), "invalid time");
  std::string bad_status = "o b [06/Feb/2019:00:00:38 +0000] ip r id op k \"GET / HTTP/1.1\" OK - 1 - 1 - \"-\" \"ua\" -";
  EXPECT_EQ(ParseS3AccessLine(bad_status, &e).error().message(), "expected HTTP status as field 10, got 'OK'");
}

}  // namespace
}  // namespace cairn::ingest
