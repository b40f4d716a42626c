// SPDX-License-Identifier: MIT
// Tests of the table of settings: every source reaches every setting it names.
#include "cginit/option_table.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "cginit/cli.h"
#include "cginit/config_file.h"

namespace cginit {
namespace {

TEST(OptionTableTest, NamesAreUniquePerSource) {
  std::set<std::string> longNames, envs, keys;
  std::set<char> shortNames;
  for (const Setting& s : settingsTable()) {
    if (!s.longName.empty()) {
      EXPECT_TRUE(longNames.insert(std::string(s.longName)).second) << s.longName;
    }
    if (s.shortName != 0) {
      EXPECT_TRUE(shortNames.insert(s.shortName).second) << s.shortName;
    }
    if (!s.env.empty()) {
      EXPECT_TRUE(envs.insert(std::string(s.env)).second) << s.env;
      EXPECT_EQ(s.env.substr(0, 7), "CGINIT_") << s.env;
    }
    EXPECT_TRUE(keys.insert(std::string(s.table) + "." + std::string(s.key)).second) << s.key;
  }
}

// --help is written by hand (its grouping is tini's): it must not forget a row.
TEST(OptionTableTest, UsageListsEveryOptionAndVariable) {
  const std::string usage = usageText("cginit");
  for (const Setting& s : settingsTable()) {
    if (!s.longName.empty()) {
      EXPECT_NE(usage.find("--" + std::string(s.longName)), std::string::npos) << s.longName;
    }
    if (!s.env.empty()) {
      EXPECT_NE(usage.find(s.env), std::string::npos) << s.env;
    }
  }
}

TEST(OptionTableTest, EveryRowHasWhatItsFormNeeds) {
  for (const Setting& s : settingsTable()) {
    EXPECT_NE(s.set, nullptr) << s.key;
    EXPECT_NE(s.merge, nullptr) << s.key;
    EXPECT_NE(s.print, nullptr) << s.key;
    const bool many = s.form == ValueForm::List || s.form == ValueForm::Map;
    EXPECT_EQ(s.clear != nullptr, many) << s.key;
    EXPECT_EQ(s.print(Options{}).has_value(), s.unset.empty()) << s.key;
  }
}

TEST(OptionTableTest, ParseBoolAcceptsTheUsualSpellingsOnly) {
  EXPECT_EQ(*parseBool("true"), true);
  EXPECT_EQ(*parseBool("yes"), true);
  EXPECT_EQ(*parseBool("1"), true);
  EXPECT_EQ(*parseBool("false"), false);
  EXPECT_EQ(*parseBool("no"), false);
  EXPECT_EQ(*parseBool("0"), false);
  for (const char* text : {"", "True", "on", "off", "2", "y"}) {
    EXPECT_FALSE(parseBool(text)) << text;
  }
}

// --print-config prints a key for every row that parseConfig() reads back.
TEST(OptionTableTest, PrintConfigRoundTripsWorkloadCgroupns) {
  Options o;
  o.workloadCgroupns = false;
  const std::string text = formatConfig(o);
  EXPECT_NE(text.find("\n[cgroup]\n"), std::string::npos);
  EXPECT_NE(text.find("\nworkload_cgroupns = false\n"), std::string::npos) << text;
  auto layer = parseConfig(text, "printed.toml");
  ASSERT_TRUE(layer) << layer.error().message;
  EXPECT_EQ(merge({&*layer}), o);
}

}  // namespace
}  // namespace cginit
