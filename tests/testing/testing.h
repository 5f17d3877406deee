#pragma once
// Shared test helpers (cairn_testing): paths to third-party samples, temp dirs, the cairn binary.
#include <cstdint>
#include <filesystem>
#include <string>

namespace cairn::store {
class CaseStore;
}  // namespace cairn::store

namespace cairn::testing {

// ../shared/data (CAIRN_SHARED_DATA env var wins). Tests read samples in place from there.
std::filesystem::path SharedData();
// The repository root.
std::filesystem::path SourceDir();
// A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};
// Reads a whole file (empty string if missing).
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& content);

// The gzip member (RFC 1952) of `data`, for tests of compressed input.
std::string GzipBytes(const std::string& data);
// Path to the built cairn binary ($CAIRN_BINARY wins; else the one this build made).
std::string CairnBinary();
// Runs a shell command, returns its exit status and captures stdout (stderr to stderr_out).
int RunCommand(const std::string& command, std::string* stdout_out, std::string* stderr_out = nullptr);
// The integer in the first column of the first row of sql (a gtest failure when there is none).
int64_t QueryInt(store::CaseStore& store, const std::string& sql);

}  // namespace cairn::testing
