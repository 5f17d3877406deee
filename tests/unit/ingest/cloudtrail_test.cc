#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/ingest/parsers.h"
#include "tests/testing/testing.h"

namespace cairn::ingest {
namespace {

using store::Event;

// Collects what a document yields.
class Collector final : public CloudTrailSink {
 public:
  Status OnRecord(Event& e) override {
    events.push_back(e);
    return Ok();
  }
  Status OnReject(std::string_view reason, std::string_view raw, int64_t offset, int64_t line) override {
    rejects.push_back({std::string(reason), std::string(raw), offset, line});
    return Ok();
  }
  void OnNote(std::string_view note) override { notes.emplace_back(note); }

  struct Rej {
    std::string reason, raw;
    int64_t offset, line;
  };
  std::vector<Event> events;
  std::vector<Rej> rejects;
  std::vector<std::string> notes;
};

Collector ParseFile(const std::string& rel) {
  CloudTrailParser parser;
  Collector c;
  std::string text = testing::ReadFile(testing::SharedData() / rel);
  EXPECT_FALSE(text.empty()) << rel;
  EXPECT_TRUE(parser.ParseDocument(text, c).ok());
  return c;
}

TEST(CloudTrailParserTest, AwsDocsConsoleLoginHasExactFields) {
  Collector c = ParseFile("cloudtrail/aws-docs/cloudtrail_userguide_examples.records.json");
  ASSERT_EQ(c.events.size(), 19u);
  EXPECT_TRUE(c.rejects.empty());
  const Event& e = c.events[0];
  EXPECT_EQ(e.source_type, store::SourceType::kCloudTrail);
  EXPECT_EQ(e.time, *ParseIso8601("2022-11-10T16:24:34Z"));
  EXPECT_EQ(e.actor_arn, "arn:aws:iam::111122223333:user/anaya");
  EXPECT_EQ(e.actor_type, "IAMUser");
  EXPECT_EQ(e.actor_name, "anaya");
  EXPECT_EQ(e.action, "ConsoleLogin");
  EXPECT_EQ(e.outcome, "success");
  EXPECT_EQ(e.source_ip, "192.0.2.0");
  EXPECT_EQ(e.region, "us-east-2");
  EXPECT_EQ(e.account, "111122223333");  // no recipientAccountId: userIdentity.accountId
  EXPECT_EQ(e.event_id, "3fcfb182-98f8-4744-bd45-10a395ab61cb");
  EXPECT_EQ(e.line, 3);  // pretty-printed: the line where the record starts
  EXPECT_NE(e.dedupe, 0u);
  // raw is the compact record
  EXPECT_EQ(e.raw.find('\n'), std::string::npos);
  EXPECT_TRUE(StartsWith(e.raw, "{\"eventVersion\":\"1.05\",\"userIdentity\":{\"type\":\"IAMUser\""));
}

TEST(CloudTrailParserTest, StratusCreateAccessKeyAndInvalidIp) {
  Collector c = ParseFile("cloudtrail/stratus-red-team/aws.persistence.iam-create-admin-user.json");
  ASSERT_EQ(c.events.size(), 3u);
  const Event* create_key = nullptr;
  for (const auto& e : c.events) {
    if (e.action == "CreateAccessKey") create_key = &e;
  }
  ASSERT_NE(create_key, nullptr);
  EXPECT_FALSE(create_key->resource.empty());
  EXPECT_TRUE(StartsWith(create_key->resource, "AKIA"));  // the created key's id
  EXPECT_FALSE(create_key->target_user.empty());
  // Every stratus record keeps its (anonymised, sometimes invalid) source address as text.
  int invalid = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::SharedData() / "cloudtrail/stratus-red-team")) {
    if (entry.path().extension() != ".json") continue;
    Collector all = ParseFile("cloudtrail/stratus-red-team/" + entry.path().filename().string());
    EXPECT_TRUE(all.rejects.empty()) << entry.path();
    for (const auto& e : all.events) {
      if (e.source_ip == "211.9.016.253") ++invalid;
    }
  }
  (void)invalid;  // present or not in a given sample, never a reason to reject
}

TEST(CloudTrailParserTest, EveryStratusRecordParses) {
  int records = 0;
  std::set<uint64_t> distinct;
  for (const auto& entry : std::filesystem::directory_iterator(testing::SharedData() / "cloudtrail/stratus-red-team")) {
    if (entry.path().extension() != ".json") continue;
    Collector c = ParseFile("cloudtrail/stratus-red-team/" + entry.path().filename().string());
    EXPECT_TRUE(c.rejects.empty()) << entry.path();
    for (const auto& e : c.events) {
      EXPECT_GT(e.time, 0);
      EXPECT_FALSE(e.action.empty());
      EXPECT_FALSE(e.event_id.empty());
      distinct.insert(e.dedupe);
    }
    records += static_cast<int>(c.events.size());
  }
  EXPECT_EQ(records, 310);
  EXPECT_EQ(distinct.size(), 310u);
  // The derived copies (JSON Lines and {"Records":[...]}) hash to the same contents.
  Collector jsonl = ParseFile("cloudtrail/stratus-red-team/derived/all_detonations.jsonl");
  Collector env = ParseFile("cloudtrail/stratus-red-team/derived/all_detonations.records.json");
  ASSERT_EQ(jsonl.events.size(), 310u);
  ASSERT_EQ(env.events.size(), 310u);
  for (const auto& e : jsonl.events) EXPECT_EQ(distinct.count(e.dedupe), 1u);
  for (const auto& e : env.events) EXPECT_EQ(distinct.count(e.dedupe), 1u);
  EXPECT_EQ(env.events[1].line, 2);  // compact envelope: record index
}

TEST(CloudTrailParserTest, PantherRecordsDuplicatesCollisionsAndPartials) {
  Collector c = ParseFile("cloudtrail/panther-analysis/derived/panther_cloudtrail_records.jsonl");
  // 475 lines: 28 without eventTime (26 partial CloudTrail records and 2 Panther enrichment stubs
  // holding only p_* fields) and 2 with an unparseable one ('redacted', '...') are rejected; the
  // other 445 parse.
  EXPECT_EQ(c.events.size(), 445u);
  ASSERT_EQ(c.rejects.size(), 30u);
  std::map<std::string, int> reasons;
  for (const auto& r : c.rejects) {
    reasons[r.reason]++;
    EXPECT_GT(r.line, 0);
    EXPECT_FALSE(r.raw.empty());
  }
  EXPECT_EQ(reasons["CloudTrail record without eventTime"], 26);
  EXPECT_EQ(reasons["JSON object is not a CloudTrail record (no eventName, eventTime, eventSource or "
                    "userIdentity)"], 2);
  EXPECT_EQ(reasons["unparseable eventTime 'redacted'"], 1);
  EXPECT_EQ(reasons["unparseable eventTime '...'"], 1);
  std::set<uint64_t> distinct;
  std::map<std::string, std::set<uint64_t>> by_id;
  int without_id = 0;
  for (const auto& e : c.events) {
    distinct.insert(e.dedupe);
    if (e.event_id.empty()) {
      ++without_id;
    } else {
      by_id[e.event_id].insert(e.dedupe);
    }
  }
  // 421 distinct contents (24 repeats, one of them with its keys in another order).
  EXPECT_EQ(distinct.size(), 421u);
  int colliding_ids = 0;
  for (const auto& [id, hashes] : by_id) colliding_ids += hashes.size() > 1;
  EXPECT_EQ(colliding_ids, 38);
  EXPECT_GT(without_id, 0);
  // line numbers are the JSON Lines line numbers
  EXPECT_EQ(c.events.front().line, 1);
}

TEST(CloudTrailParserTest, ElasticJsonLinesWithoutFinalNewline) {
  Collector c = ParseFile("cloudtrail/elastic-integrations/test-put-object-json.log");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].action, "PutObject");
  EXPECT_EQ(c.events[0].bucket, "elastic-cspm-cloudtrail-test-bucket");
  EXPECT_EQ(c.events[0].object_key, "");  // the sample's requestParameters carry no key
  Collector login = ParseFile("cloudtrail/elastic-integrations/test-console-login-json.log");
  ASSERT_EQ(login.events.size(), 3u);
  int failures = 0;
  for (const auto& e : login.events) failures += e.outcome == "failure";
  EXPECT_GE(failures, 1);
  Collector sso = ParseFile("cloudtrail/elastic-integrations/test-user-authentication.log");
  ASSERT_EQ(sso.events.size(), 1u);
  EXPECT_EQ(sso.events[0].actor_type, "IdentityCenterUser");
  EXPECT_EQ(sso.events[0].source_ip, "redacted");
}

TEST(CloudTrailParserTest, AssumedRoleActorNameIsTheIssuer) {
  CloudTrailParser parser;
  Event e;
  ASSERT_TRUE(parser.ParseRecord(R"({"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z",
    "eventName":"ListBuckets","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/s",
    "accessKeyId":"ASIAX","sessionContext":{"sessionIssuer":{"userName":"Admin"}}},
    "recipientAccountId":"123456789012","errorCode":"AccessDenied","requestID":"r1",
    "additionalEventData":{"bytesTransferredOut":42.0}})", &e).ok());
  EXPECT_EQ(e.actor_name, "Admin");
  EXPECT_EQ(e.access_key, "ASIAX");
  EXPECT_EQ(e.account, "123456789012");
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_EQ(e.error_code, "AccessDenied");
  EXPECT_EQ(e.request_id, "r1");
  EXPECT_EQ(e.bytes, 42);
  ASSERT_TRUE(parser.ParseRecord(R"({"eventTime":"2024-01-01T00:00:00Z","eventName":"ConsoleLogin",
    "userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"}})", &e).ok());
  EXPECT_EQ(e.actor_name, "root");
  ASSERT_TRUE(parser.ParseRecord(R"({"eventTime":"2024-01-01T00:00:00Z","eventName":"AssumeRole",
    "userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},
    "requestParameters":{"roleArn":"arn:aws:iam::1:role/R","roleSessionName":"i-1"}})", &e).ok());
  EXPECT_EQ(e.actor_name, "ec2.amazonaws.com");
  EXPECT_EQ(e.resource, "arn:aws:iam::1:role/R");
  ASSERT_TRUE(parser.ParseRecord(R"({"eventTime":"2024-01-01T00:00:00Z","eventName":"DeleteAccessKey",
    "userIdentity":{"type":"IAMUser","userName":"alice"},
    "requestParameters":{"accessKeyId":"AKIAOLD"}})", &e).ok());
  EXPECT_EQ(e.resource, "AKIAOLD");
  EXPECT_EQ(e.target_user, "alice");
  ASSERT_TRUE(parser.ParseRecord(R"({"eventTime":"2024-01-01T00:00:00Z","eventName":"AttachUserPolicy",
    "userIdentity":{"type":"IAMUser","userName":"alice"},
    "requestParameters":{"userName":"bob","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}})", &e).ok());
  EXPECT_EQ(e.resource, "arn:aws:iam::aws:policy/AdministratorAccess");
  EXPECT_EQ(e.target_user, "bob");
  ASSERT_TRUE(parser.ParseRecord(R"({"eventTime":"2024-01-01T00:00:00Z","eventName":"ConsoleLogin",
    "userIdentity":{"type":"IAMUser","userName":"alice"},"responseElements":{"ConsoleLogin":"Failure"},
    "errorMessage":"Failed authentication"})", &e).ok());
  EXPECT_EQ(e.outcome, "failure");
  EXPECT_EQ(e.error_code, "");
}

TEST(CloudTrailParserTest, KeyOrderDoesNotChangeTheDedupeHash) {
  CloudTrailParser parser;
  Event a, b, c;
  ASSERT_TRUE(parser.ParseRecord(R"({"eventTime":"2024-01-01T00:00:00Z","eventName":"X","n":{"a":1,"b":[1,2]}})", &a).ok());
  ASSERT_TRUE(parser.ParseRecord(R"({ "n": {"b":[1,2], "a":1}, "eventName":"X", "eventTime":"2024-01-01T00:00:00Z" })", &b).ok());
  ASSERT_TRUE(parser.ParseRecord(R"({"eventTime":"2024-01-01T00:00:00Z","eventName":"X","n":{"a":1,"b":[2,1]}})", &c).ok());
  EXPECT_EQ(a.dedupe, b.dedupe);
  EXPECT_NE(a.dedupe, c.dedupe);
  EXPECT_EQ(b.raw, R"({"n":{"b":[1,2],"a":1},"eventName":"X","eventTime":"2024-01-01T00:00:00Z"})");
}

TEST(CloudTrailParserTest, Envelopes) {
  CloudTrailParser parser;
  std::string record = R"({"eventVersion":"1.08","eventTime":"2024-02-01T10:00:00Z","eventName":"GetCallerIdentity","eventID":"e1"})";
  std::string escaped = JsonQuote(record);
  // lookup-events
  {
    Collector c;
    ASSERT_TRUE(parser.ParseDocument("{\"Events\":[{\"EventId\":\"e1\",\"EventName\":\"GetCallerIdentity\",\"CloudTrailEvent\":" + escaped + "}],\"NextToken\":\"x\"}", c).ok());
    ASSERT_EQ(c.events.size(), 1u);
    EXPECT_EQ(c.events[0].raw, record);
    EXPECT_EQ(c.events[0].event_id, "e1");
  }
  // EventBridge, one per line
  {
    Collector c;
    std::string eb = "{\"version\":\"0\",\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.sts\",\"detail\":" + record + "}\n";
    ASSERT_TRUE(parser.ParseDocument(eb + eb, c).ok());
    ASSERT_EQ(c.events.size(), 2u);
    EXPECT_EQ(c.events[0].raw, record);
    EXPECT_EQ(c.events[1].line, 2);
  }
  // CloudWatch Logs DATA_MESSAGE and CONTROL_MESSAGE
  {
    Collector c;
    ASSERT_TRUE(parser.ParseDocument("{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":1,\"message\":" + escaped + "}]}"
                                     "{\"messageType\":\"CONTROL_MESSAGE\",\"logEvents\":[{\"id\":\"\",\"timestamp\":1,\"message\":\"CWL CONTROL MESSAGE: Checking health of destination\"}]}", c).ok());
    ASSERT_EQ(c.events.size(), 1u);
    EXPECT_TRUE(c.rejects.empty());
    ASSERT_EQ(c.notes.size(), 1u);
    EXPECT_EQ(c.notes[0], "CloudWatch Logs CONTROL_MESSAGE: skipped");
  }
  // Digest
  {
    Collector c;
    ASSERT_TRUE(parser.ParseDocument(R"({"awsAccountId":"1","digestStartTime":"2024-01-01T00:00:00Z","digestEndTime":"2024-01-01T01:00:00Z","digestS3Bucket":"b","logFiles":[]})", c).ok());
    EXPECT_TRUE(c.events.empty());
    EXPECT_TRUE(c.rejects.empty());
    ASSERT_EQ(c.notes.size(), 1u);
    EXPECT_TRUE(StartsWith(c.notes[0], "CloudTrail digest file: skipped"));
  }
  // Insights record
  {
    Collector c;
    ASSERT_TRUE(parser.ParseDocument(R"({"Records":[{"eventVersion":"1.07","eventTime":"2024-01-01T00:00:00Z","awsRegion":"us-east-1","eventID":"i1","eventType":"AwsCloudTrailInsight","recipientAccountId":"1","sharedEventID":"s","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight"},"eventCategory":"Insight"}]})", c).ok());
    ASSERT_EQ(c.events.size(), 1u);
    EXPECT_EQ(c.events[0].event_id, "i1");
  }
}

TEST(CloudTrailParserTest, DamageKeepsGoodRecordsAndRejectsTheRest) {
  CloudTrailParser parser;
  std::string r1 = R"({"eventTime":"2024-01-01T00:00:00Z","eventName":"A"})";
  std::string r2 = R"({"eventTime":"2024-01-01T00:00:01Z","eventName":"B"})";
  // Truncated compact envelope.
  {
    Collector c;
    std::string doc = "{\"Records\":[" + r1 + "," + r2 + "," + r1.substr(0, 20);
    ASSERT_TRUE(parser.ParseDocument(doc, c).ok());
    ASSERT_EQ(c.events.size(), 2u);
    ASSERT_EQ(c.rejects.size(), 1u);
    EXPECT_TRUE(StartsWith(c.rejects[0].reason, "malformed JSON: unterminated string")) << c.rejects[0].reason;
  }
  // A broken line in JSON Lines does not take its neighbours.
  {
    Collector c;
    ASSERT_TRUE(parser.ParseDocument(r1 + "\n{\"eventTime\": \"2024\n" + r2 + "\nnot json\n", c).ok());
    ASSERT_EQ(c.events.size(), 2u);
    ASSERT_EQ(c.rejects.size(), 2u);
    EXPECT_EQ(c.rejects[0].line, 2);
    EXPECT_EQ(c.rejects[1].reason, "expected a JSON object or array, got 'n'");
    EXPECT_EQ(c.rejects[1].line, 4);
  }
  // JSON that is not CloudTrail.
  {
    Collector c;
    ASSERT_TRUE(parser.ParseDocument(R"({"name":"package","version":"1.0"})", c).ok());
    EXPECT_TRUE(c.events.empty());
    ASSERT_EQ(c.rejects.size(), 1u);
    EXPECT_TRUE(StartsWith(c.rejects[0].reason, "JSON object is not a CloudTrail record"));
  }
  // Invalid UTF-8 inside a string: the record is kept, repaired.
  {
    Collector c;
    ASSERT_TRUE(parser.ParseDocument("{\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventName\":\"A\",\"userAgent\":\"x\xff y\"}", c).ok());
    ASSERT_EQ(c.events.size(), 1u);
    EXPECT_EQ(c.events[0].user_agent, "x\xEF\xBF\xBD y");
    EXPECT_GE(parser.utf8_repaired(), 1);
  }
}

}  // namespace
}  // namespace cairn::ingest
