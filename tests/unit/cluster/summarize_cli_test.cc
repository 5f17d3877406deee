// `cairn summarize` as the benchmark harness and outside checks use it.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace cairn::cluster {
namespace {

using cairn::testing::RunCommand;

// CAIRN_BINARY when set, else the cairn target this test was built with.
std::string CairnBinary() {
  if (const char* env = std::getenv("CAIRN_BINARY"); env != nullptr && *env != '\0') return env;
  return CAIRN_TEST_BINARY;
}

class SummarizeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    input_ = (dir_ / "messages.txt").string();
    cairn::testing::WriteFile(input_,
                              "error: connection to 10.0.0.5 timed out after 30s\n"
                              "[error] File does not exist: /var/www/favicon.ico\n"
                              "error: connection to 10.0.0.9 timed out after 45s\r\n"
                              "[error] File does not exist: /var/www/robots.txt\n"
                              "error: connection to 10.0.0.7 timed out after 30s\n"
                              "ERROR AccessDenied for user bob");  // no final newline
  }
  cairn::testing::TempDir dir_;
  std::string input_;
};

TEST_F(SummarizeCliTest, AssignPrintsOneSignatureIdPerLineInOrder) {
  std::string out;
  ASSERT_EQ(RunCommand(CairnBinary() + " summarize --assign --input " + input_, &out), 0);
  EXPECT_EQ(out,
            "line,signature_id\n"
            "1,2cb984f50f9de51f\n"
            "2,11f3a348f505e9fc\n"
            "3,2cb984f50f9de51f\n"
            "4,11f3a348f505e9fc\n"
            "5,2cb984f50f9de51f\n"
            "6,81ada2fd72cab337\n");
}

TEST_F(SummarizeCliTest, PrintsTheSignatureTableAsCsvFromStdin) {
  std::string out;
  ASSERT_EQ(RunCommand(CairnBinary() + " summarize --format csv --input - < " + input_, &out), 0);
  EXPECT_EQ(out,
            "_signature_id,_signature,_count,score\n"
            "2cb984f50f9de51f,error: connection to ********** timed out after **********,3,3.87\n"
            "11f3a348f505e9fc,[error] File does not exist: **********,2,6.13\n"
            "81ada2fd72cab337,ERROR AccessDenied for user bob,1,10\n");
}

TEST_F(SummarizeCliTest, MissingInputIsAnInputError) {
  std::string out;
  std::string err;
  int status = RunCommand(CairnBinary() + " summarize --input " + (dir_ / "absent.txt").string(),
                          &out, &err);
  EXPECT_EQ(status, 3);
  EXPECT_NE(err.find("not found"), std::string::npos) << err;
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace cairn::cluster
