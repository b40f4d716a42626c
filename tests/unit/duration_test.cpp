// SPDX-License-Identifier: MIT
// Tests of duration parsing and formatting.
#include "cginit/duration.h"

#include <gtest/gtest.h>

namespace cginit {
namespace {

using std::chrono::milliseconds;

int64_t ms(std::string_view text) {
  auto d = parseDuration(text);
  EXPECT_TRUE(d) << text << ": " << d.error().message;
  return d ? d->count() : -1;
}

TEST(DurationTest, ParsesMilliseconds) {
  EXPECT_EQ(ms("500ms"), 500);
}

TEST(DurationTest, ParsesSecondsMinutesAndHours) {
  EXPECT_EQ(ms("5s"), 5000);
  EXPECT_EQ(ms("1m"), 60000);
  EXPECT_EQ(ms("2h"), 7200000);
}

// As in `docker stop -t 10`.
TEST(DurationTest, BareNumberIsSeconds) {
  EXPECT_EQ(ms("10"), 10000);
}

TEST(DurationTest, ParsesDecimalFractions) {
  EXPECT_EQ(ms("1.5s"), 1500);
  EXPECT_EQ(ms("0.25m"), 15000);
  EXPECT_EQ(ms("0.5"), 500);
}

TEST(DurationTest, AcceptsZero) {
  EXPECT_EQ(ms("0"), 0);
  EXPECT_EQ(ms("0ms"), 0);
}

TEST(DurationTest, AcceptsAtMostTwentyFourHours) {
  EXPECT_EQ(ms("24h"), 86400000);
  EXPECT_EQ(ms("86400s"), 86400000);
  EXPECT_FALSE(parseDuration("25h"));
  EXPECT_FALSE(parseDuration("86401s"));
  EXPECT_FALSE(parseDuration("86400001ms"));
  EXPECT_FALSE(parseDuration("24.1h"));
  EXPECT_FALSE(parseDuration("99999999999999999999999s"));
}

TEST(DurationTest, RejectsNegativeDurations) {
  EXPECT_FALSE(parseDuration("-1s"));
}

TEST(DurationTest, RejectsUnknownUnitsAndJunk) {
  for (const char* text : {"", "s", "ms", ".", "5d", "5S", "5 s", " 5s", "5s ", "5sec", "1e3"}) {
    EXPECT_FALSE(parseDuration(text)) << text;
  }
}

TEST(DurationTest, ErrorNamesTheTextAndTheExpectedForm) {
  auto d = parseDuration("soon");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message,
            "invalid duration 'soon' (expected e.g. 500ms, 5s, 1m; at most 24h)");
  EXPECT_TRUE(d.error().usage);
}

TEST(DurationTest, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(milliseconds(5000)), "5s");
  EXPECT_EQ(formatDuration(milliseconds(60000)), "1m");
  EXPECT_EQ(formatDuration(milliseconds(3600000)), "1h");
  EXPECT_EQ(formatDuration(milliseconds(90000)), "90s");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(milliseconds(0)), "0s");
}

TEST(DurationTest, FormattedDurationReadsBack) {
  for (int64_t value : {0L, 1L, 999L, 1000L, 1001L, 59999L, 60000L, 90000L, 3600000L, 86400000L}) {
    EXPECT_EQ(ms(formatDuration(milliseconds(value))), value);
  }
}

}  // namespace
}  // namespace cginit
