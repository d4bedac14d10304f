// num2words_en reproduces the num2words package's English cardinals.
#include "vision/num2words.h"

#include <gtest/gtest.h>

namespace prism::vision {
namespace {

TEST(Num2Words, SmallNumbers) {
  EXPECT_EQ(num2words_en(0), "zero");
  EXPECT_EQ(num2words_en(3), "three");
  EXPECT_EQ(num2words_en(4), "four");
  EXPECT_EQ(num2words_en(13), "thirteen");
  EXPECT_EQ(num2words_en(20), "twenty");
  EXPECT_EQ(num2words_en(21), "twenty-one");
  EXPECT_EQ(num2words_en(64), "sixty-four");
  EXPECT_EQ(num2words_en(99), "ninety-nine");
}

TEST(Num2Words, HundredsThousandsAndBeyond) {
  EXPECT_EQ(num2words_en(100), "one hundred");
  EXPECT_EQ(num2words_en(101), "one hundred and one");
  EXPECT_EQ(num2words_en(110), "one hundred and ten");
  EXPECT_EQ(num2words_en(342), "three hundred and forty-two");
  EXPECT_EQ(num2words_en(999), "nine hundred and ninety-nine");
  EXPECT_EQ(num2words_en(1000), "one thousand");
  EXPECT_EQ(num2words_en(1001), "one thousand and one");
  EXPECT_EQ(num2words_en(1100), "one thousand, one hundred");
  EXPECT_EQ(num2words_en(1234), "one thousand, two hundred and thirty-four");
  EXPECT_EQ(num2words_en(21000), "twenty-one thousand");
  EXPECT_EQ(num2words_en(1000000), "one million");
  EXPECT_EQ(num2words_en(2000021), "two million and twenty-one");
  EXPECT_EQ(num2words_en(-5), "minus five");
}

}  // namespace
}  // namespace prism::vision
