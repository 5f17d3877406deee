#include "tests/testing/testing.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <zlib.h>

#include <gtest/gtest.h>

#include "engine/store/case_store.h"

namespace cairn::testing {

std::filesystem::path SharedData() {
  if (const char* env = std::getenv("CAIRN_SHARED_DATA"); env && *env) return env;
  return CAIRN_SHARED_DATA_DIR;
}

std::filesystem::path SourceDir() { return CAIRN_SOURCE_DIR; }

TempDir::TempDir() {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto p = base / ("cairn-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    if (std::filesystem::create_directory(p)) {
      path_ = p;
      return;
    }
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string CairnBinary() {
  if (const char* env = std::getenv("CAIRN_BINARY"); env && *env) return env;
  return CAIRN_BINARY_PATH;
}

int RunCommand(const std::string& command, std::string* stdout_out, std::string* stderr_out) {
  std::string err_file;
  std::string cmd = command;
  if (stderr_out) {
    char tmpl[] = "/tmp/cairn-stderr-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) close(fd);
    err_file = tmpl;
    cmd += " 2>" + err_file;
  }
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return -1;
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  if (stdout_out) *stdout_out = out;
  if (stderr_out) {
    *stderr_out = ReadFile(err_file);
    std::remove(err_file.c_str());
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string GzipBytes(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

int64_t QueryInt(store::CaseStore& store, const std::string& sql) {
  auto st = store.Prepare(sql);
  EXPECT_TRUE(st.ok()) << sql;
  if (!st.ok()) return 0;
  auto row = st->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return row.ok() && *row ? st->Int(0) : 0;
}

}  // namespace cairn::testing
