#include <gtest/gtest.h>

#include "engine/common/time.h"
#include "engine/ingest/parsers.h"

namespace cairn::ingest {
namespace {

using store::Event;

TEST(GenericParserTest, SyslogRfc3164UsesReferenceYear) {
  Event e;
  TimeMs ref = *ParseIso8601("2024-03-10T00:00:00Z");
  ASSERT_TRUE(ParseGenericLine("Mar  5 14:03:01 ip-10-0-0-5 sshd[811]: Accepted publickey for ec2-user", 2024, ref, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2024-03-05T14:03:01Z"));
  EXPECT_EQ(e.host, "ip-10-0-0-5");
  EXPECT_EQ(e.source_type, store::SourceType::kGeneric);
  // A December line in a file written in March belongs to the year before.
  ASSERT_TRUE(ParseGenericLine("Dec 31 23:59:59 host cron[1]: x", 2024, ref, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2023-12-31T23:59:59Z"));
}

TEST(GenericParserTest, SyslogRfc5424AndPri) {
  Event e;
  ASSERT_TRUE(ParseGenericLine("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed", 2024, 0, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2003-10-11T22:14:15.003Z"));
  EXPECT_EQ(e.host, "mymachine.example.com");
  ASSERT_TRUE(ParseGenericLine("<13>Feb  5 17:32:18 10.0.0.99 myproc: hello", 2020, 0, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2020-02-05T17:32:18Z"));
  EXPECT_EQ(e.host, "10.0.0.99");
}

TEST(GenericParserTest, IsoVariants) {
  Event e;
  ASSERT_TRUE(ParseGenericLine("2024-01-19 09:45:00,123 - util.py[DEBUG]: Running command", 2024, 0, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2024-01-19T09:45:00.123Z"));
  EXPECT_EQ(e.host, "");
  ASSERT_TRUE(ParseGenericLine("2024-01-19T09:45:00+02:00 started", 2024, 0, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2024-01-19T07:45:00Z"));
  ASSERT_TRUE(ParseGenericLine("[2024-01-19 09:45:00 +0100] x", 2024, 0, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2024-01-19T08:45:00Z"));
  ASSERT_TRUE(ParseGenericLine("2024/01/19 09:45:00 [error] 12#12: nginx", 2024, 0, &e).ok());
  EXPECT_EQ(e.time, *ParseIso8601("2024-01-19T09:45:00Z"));
  EXPECT_EQ(ParseGenericLine("[    0.000000] Linux version 6.1", 2024, 0, &e).error().message(),
            "no recognisable timestamp at the start of the line");
  EXPECT_FALSE(ParseGenericLine("Foo 12 10:00:00 x", 2024, 0, &e).ok());
}

}  // namespace
}  // namespace cairn::ingest
