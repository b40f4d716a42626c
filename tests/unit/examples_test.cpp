// SPDX-License-Identifier: MIT
// Loads every examples/*.toml, so that the examples cannot rot.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cginit/config_file.h"
#include "cginit/option_table.h"

namespace cginit {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(CGINIT_SOURCE_DIR) / "examples";

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ExamplesTest, EveryTomlExampleLoads) {
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".toml") {
      continue;
    }
    auto layer = loadConfig(entry.path().string());
    EXPECT_TRUE(layer) << layer.error().message;
    ++loaded;
  }
  EXPECT_GE(loaded, 2);
}

TEST(ExamplesTest, FullExampleSetsEveryKey) {
  auto layer = loadConfig((kExamples / "cginit.toml").string());
  ASSERT_TRUE(layer) << layer.error().message;
  const OptionsLayer& l = *layer;
  EXPECT_TRUE(l.verbosity && l.subreaper && l.pdeathsig && l.forward && l.remapExit &&
              l.warnOnReap && l.rewrite && l.grace && l.stopSignal && l.stopTimeout &&
              l.cgroupMode && l.pidsMax && l.limits && l.workloadCgroupns && l.reportPath);
}

// Each key of the full example has a comment line right above it.
TEST(ExamplesTest, FullExampleCommentsEveryKey) {
  std::istringstream lines(readFile(kExamples / "cginit.toml"));
  std::string line;
  std::string previous;
  int keys = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] != '#' && line[0] != '[') {
      EXPECT_EQ(previous.rfind("# ", 0), 0u) << "no comment above: " << line;
      ++keys;
    }
    previous = line;
  }
  EXPECT_EQ(static_cast<size_t>(keys), settingsTable().size());
}

TEST(ExamplesTest, DockerfileUsesCginitAsEntrypoint) {
  EXPECT_NE(readFile(kExamples / "Dockerfile").find("ENTRYPOINT [\"/cginit\", \"--\"]"),
            std::string::npos);
}

}  // namespace
}  // namespace cginit
