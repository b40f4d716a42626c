// SPDX-License-Identifier: MIT
// Tests of the exit report: toJson() (every key, null and boolean cases, escaping) and
// writeReport()/checkReportPath() against a temporary directory.
#include "cginit/report.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace cginit {
namespace {

namespace fs = std::filesystem;

TEST(ReportTest, DefaultReportHasEveryKeyInOrderWithNulls) {
  EXPECT_EQ(toJson(ExitReport{}),
            "{\"exit_code\": 0, \"signal\": null, \"main_pid\": -1, \"duration_ms\": 0, "
            "\"reaped\": 0, \"forwarded\": {}, \"pids_peak\": null, \"pids_max\": null, "
            "\"fork_rejections\": null, \"oom_kills\": null, \"drain\": \"none\", \"killed\": 0, "
            "\"cgroup\": null, \"observed_cgroup\": null, \"escaped\": 0, \"enforced\": null, "
            "\"tampered\": null}\n");
}

TEST(ReportTest, EveryFieldSet) {
  ExitReport r;
  r.exitCode = 143;
  r.signal = SIGTERM;
  r.mainPid = 7;
  r.durationMs = 1234;
  r.reaped = 3;
  r.forwarded = {{SIGTERM, 1}, {SIGUSR1, 2}};
  r.pidsPeak = 12;
  r.pidsMax = "64";
  r.forkRejections = 5;
  r.oomKills = 1;
  r.drain = DrainOutcome::Killed;
  r.killed = 4;
  r.cgroup = "/sys/fs/cgroup";
  r.observedCgroup = "/sys/fs/cgroup";
  r.escaped = 2;
  r.enforced = true;
  r.tampered = 6;
  EXPECT_EQ(toJson(r),
            "{\"exit_code\": 143, \"signal\": \"SIGTERM\", \"main_pid\": 7, \"duration_ms\": 1234, "
            "\"reaped\": 3, \"forwarded\": {\"SIGUSR1\": 2, \"SIGTERM\": 1}, \"pids_peak\": 12, "
            "\"pids_max\": 64, \"fork_rejections\": 5, \"oom_kills\": 1, \"drain\": \"killed\", "
            "\"killed\": 4, \"cgroup\": \"/sys/fs/cgroup\", \"observed_cgroup\": "
            "\"/sys/fs/cgroup\", \"escaped\": 2, \"enforced\": true, \"tampered\": 6}\n");
}

TEST(ReportTest, PidsMaxMaxIsAStringAndEnforcedFalseIsABoolean) {
  ExitReport r;
  r.pidsMax = "max";
  r.enforced = false;
  r.drain = DrainOutcome::Clean;
  const std::string json = toJson(r);
  EXPECT_NE(json.find("\"pids_max\": \"max\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"enforced\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"drain\": \"clean\""), std::string::npos) << json;
}

// Issue 23: managed, nothing undone is 0, not null (null means nothing was managed).
TEST(ReportTest, TamperedZeroIsANumber) {
  ExitReport r;
  r.tampered = 0;
  const std::string json = toJson(r);
  EXPECT_NE(json.find("\"tampered\": 0}"), std::string::npos) << json;
}

// Issue 17 item 6: pids_max is a JSON number only where it is plain decimal; whatever else
// reached the report ("0x10", "010", "+16") stays valid JSON as a string.
TEST(ReportTest, PidsMaxThatIsNoPlainNumberIsAString) {
  for (const char* value : {"0x10", "010", "+16", "1e3"}) {
    ExitReport r;
    r.pidsMax = value;
    const std::string json = toJson(r);
    EXPECT_NE(json.find("\"pids_max\": \"" + std::string(value) + "\""), std::string::npos) << json;
  }
  ExitReport r;
  r.pidsMax = "0";
  EXPECT_NE(toJson(r).find("\"pids_max\": 0,"), std::string::npos) << toJson(r);
}

TEST(ReportTest, StringsAreEscaped) {
  ExitReport r;
  r.cgroup = std::string("/a\"b\\c\nd\te\x01", 11);
  EXPECT_NE(toJson(r).find("\"cgroup\": \"/a\\\"b\\\\c\\nd\\te\\u0001\""), std::string::npos)
      << toJson(r);
}

class ReportFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cginit-report-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  /// The names in the directory: no temporary file may be left.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

TEST_F(ReportFileTest, WritesTheReportAndCreatesItsDirectory) {
  ExitReport r;
  r.exitCode = 3;
  ASSERT_TRUE(writeReport(r, path("sub/report.json")));
  EXPECT_EQ(read(path("sub/report.json")), toJson(r));
}

// Issue 17 item 3: never truncated in place; a new file is renamed over the old one.
TEST_F(ReportFileTest, ReplacesAnExistingFileWithANewOne) {
  std::ofstream(path("report.json"))
      << "old contents that are longer than the report itself........"
         "................................................................"
         "................................................................"
         "................................................................";
  struct stat before {};
  ASSERT_EQ(stat(path("report.json").c_str(), &before), 0);
  // A hard link keeps the old inode visible: a truncation in place would change it too.
  ASSERT_EQ(link(path("report.json").c_str(), path("old-link").c_str()), 0);
  ASSERT_TRUE(writeReport(ExitReport{}, path("report.json")));
  struct stat after {};
  ASSERT_EQ(stat(path("report.json").c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(read(path("report.json")), toJson(ExitReport{}));
  EXPECT_EQ(read(path("old-link")).substr(0, 12), "old contents");
  EXPECT_EQ(names(), (std::vector<std::string>{"old-link", "report.json"}));
}

// Decision: a symbolic link at the target is refused, and both it and its target stay as they
// are (replacing the link would also be safe, but a planted link is a sign of an attack).
TEST_F(ReportFileTest, PlantedSymlinkIsRefusedAndItsTargetUntouched) {
  std::ofstream(path("precious")) << "do not touch";
  ASSERT_EQ(symlink(path("precious").c_str(), path("report.json").c_str()), 0);
  auto st = writeReport(ExitReport{}, path("report.json"));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("a symbolic link, not a regular file"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(read(path("precious")), "do not touch");
  EXPECT_TRUE(fs::is_symlink(path("report.json")));
  EXPECT_EQ(names(), (std::vector<std::string>{"precious", "report.json"}));
  EXPECT_FALSE(checkReportPath(path("report.json")));
}

// Issue 17 item 4: a FIFO at the target blocked cginit after the program had exited. A test that
// hangs here is the defect; meson's timeout ends it.
TEST_F(ReportFileTest, FifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo(path("report.json").c_str(), 0600), 0) << std::strerror(errno);
  auto st = writeReport(ExitReport{}, path("report.json"));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("a FIFO, not a regular file"), std::string::npos)
      << st.error().message;
  auto check = checkReportPath(path("report.json"));
  ASSERT_FALSE(check);
  EXPECT_TRUE(check.error().usage);
}

TEST_F(ReportFileTest, CheckAcceptsAWritableDirectoryOrOneToBeCreated) {
  EXPECT_TRUE(checkReportPath(path("report.json")));
  EXPECT_TRUE(checkReportPath(path("new/report.json")));
  EXPECT_TRUE(checkReportPath("-"));
  std::ofstream(path("report.json")) << "x";
  EXPECT_TRUE(checkReportPath(path("report.json"))) << "an old report is replaced";
}

TEST_F(ReportFileTest, CheckRefusesWhatCannotBeWritten) {
  for (const std::string& bad : {path("a/b/report.json"), path("report.json/"), path("")}) {
    auto st = checkReportPath(bad);
    ASSERT_FALSE(st) << bad;
    EXPECT_TRUE(st.error().usage) << bad;
    EXPECT_EQ(st.error().message.rfind("--report: ", 0), 0u) << st.error().message;
  }
  std::ofstream(path("file")) << "x";
  EXPECT_FALSE(checkReportPath(path("file/report.json"))) << "not a directory";
  EXPECT_FALSE(checkReportPath("/proc/self/report.json")) << "not writable";
}

}  // namespace
}  // namespace cginit
