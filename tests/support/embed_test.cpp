// kit_embed_file() (cmake/KitEmbed.cmake): the bytes compiled into a program
// are the file's bytes, all of them and nothing else. Stage 8's server
// serves its chat page this way, so the page a browser gets is the file in
// the repository (lesson 8).
#include "kit_embedded/chat_page.hpp"
#include "kit_embedded/embed_empty.hpp"
#include "kit_embedded/embed_fixture.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace {

// The file as it is in the source tree now (KIT_SOURCE_DIR, set by CTest).
std::string source_file(const std::string& relative) {
    // Read before any thread exists (gtest runs one test at a time).
    const char* root = std::getenv("KIT_SOURCE_DIR");  // NOLINT(concurrency-mt-unsafe)
    EXPECT_NE(root, nullptr) << "KIT_SOURCE_DIR is not set (run through ctest)";
    std::ifstream in(std::string(root != nullptr ? root : ".") + "/" + relative, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << relative;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Embed, ChatPageIsTheFileInTheRepository) {
    const std::string file = source_file("src/stages/08-async/chat.html");
    ASSERT_FALSE(file.empty());
    EXPECT_EQ(kit::embedded::chat_page, file);
}

TEST(Embed, EveryByteValueSurvives) {
    // All 256 byte values, then CR LF, a NUL and text after it: nothing is
    // translated, and a NUL does not end the view.
    const std::string file = source_file("tests/support/embed_fixture.bin");
    ASSERT_EQ(file.size(), 256U + 6U);
    EXPECT_EQ(kit::embedded::embed_fixture, file);
    EXPECT_EQ(kit::embedded::embed_fixture.substr(256), std::string_view("\r\n\0end", 6));
}

TEST(Embed, AnEmptyFileIsAnEmptyView) {
    EXPECT_EQ(source_file("tests/support/embed_empty.txt"), "");
    EXPECT_TRUE(kit::embedded::embed_empty.empty());
}

}  // namespace
