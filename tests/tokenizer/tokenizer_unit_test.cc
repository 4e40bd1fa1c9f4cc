// Single features of the tokenizer: byte-level alphabet, lossy UTF-8, the Split patterns, BPE
// merges and ignore_merges, added-token flags, post-processors, NFC, and chat-format rules.
#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdint>
#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include "common/error.h"
#include "model/tokenizer/byte_level.h"
#include "model/tokenizer/chat_format.h"
#include "model/tokenizer/normalizer.h"
#include "model/tokenizer/pre_tokenizer.h"
#include "model/tokenizer/tokenizer.h"
#include "model/tokenizer/unicode.h"
#include "tests/tokenizer/tiny_tokenizer.h"

namespace deeper {
namespace {

using deeper::testing::AddedTokenJson;
using deeper::testing::ByteLevel;
using deeper::testing::json;
using deeper::testing::TinyTokenizerJson;

const std::string kDataDir = std::string(DEEPER_TEST_DATA_DIR) + "/tokenizer";

Tokenizer FromJson(const json& j, const json& config = json()) {
  return Tokenizer::FromJson(j.dump(), config.is_null() ? "" : config.dump(), "tiny tokenizer.json");
}

// ---- byte-level alphabet ----

TEST(tokenizer_byte_level, PrintableBytesMapToThemselvesAndTheOthersToU0100InOrder) {
  std::set<char32_t> seen;
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) {
    char32_t cp = tokenizer::ByteToChar(static_cast<uint8_t>(b));
    bool itself = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    EXPECT_EQ(cp, itself ? static_cast<char32_t>(b) : next++) << "byte " << b;
    EXPECT_EQ(tokenizer::CharToByte(cp), b);
    seen.insert(cp);
  }
  EXPECT_EQ(next - 0x100, 68u);
  EXPECT_EQ(seen.size(), 256u);
  EXPECT_EQ(tokenizer::ByteToChar(' '), U'\u0120');   // Ġ
  EXPECT_EQ(tokenizer::ByteToChar('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(tokenizer::ByteToChar(173), U'\u0143');   // soft hyphen, the 68th
  EXPECT_EQ(tokenizer::CharToByte(U'\u0144'), -1);
  EXPECT_EQ(tokenizer::DecodeByteLevelToken(ByteLevel("a b\xFF")), "a b\xFF");
  EXPECT_EQ(tokenizer::DecodeByteLevelToken("<|x|>"), "<|x|>");
  // A character outside the alphabet: the token's text passes through unchanged (HF behaviour).
  EXPECT_EQ(tokenizer::DecodeByteLevelToken("\xE4\xB8\xAD"), "\xE4\xB8\xAD");
}

// ---- lossy UTF-8, as Rust's String::from_utf8_lossy ----

TEST(tokenizer_utf8_lossy, EachMaximalInvalidSubpartBecomesOneReplacement) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(tokenizer::Utf8Lossy("abc"), "abc");
  EXPECT_EQ(tokenizer::Utf8Lossy("\xC3"), r);
  EXPECT_EQ(tokenizer::Utf8Lossy("a\xE2\x82"), "a" + r);             // truncated 3-byte form: one
  EXPECT_EQ(tokenizer::Utf8Lossy("\xF0\x9F\x98" "A"), r + "A");        // truncated emoji: one
  EXPECT_EQ(tokenizer::Utf8Lossy("\xE0\x80\x80"), r + r + r);          // overlong: E0 needs A0..BF
  EXPECT_EQ(tokenizer::Utf8Lossy("\xED\xA0\x80"), r + r + r);          // surrogate
  EXPECT_EQ(tokenizer::Utf8Lossy("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(tokenizer::Utf8Lossy("\xFF\xC0\x80"), r + r + r);
  EXPECT_EQ(tokenizer::Utf8Lossy("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(tokenizer_utf8, FindsInvalidSequences) {
  EXPECT_EQ(tokenizer::FindInvalidUtf8("plain ascii text here"), std::string_view::npos);
  EXPECT_EQ(tokenizer::FindInvalidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(tokenizer::FindInvalidUtf8("abcdefghij\xC3"), 10u);
  EXPECT_EQ(tokenizer::FindInvalidUtf8("\xED\xA0\x80"), 0u);
}

// ---- character classes and NFC ----

TEST(tokenizer_unicode, AsciiClasses) {
  for (char32_t c = 0; c < 128; ++c) {
    uint8_t expected = tokenizer::kOther;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) expected = tokenizer::kLetter;
    if (c >= '0' && c <= '9') expected = tokenizer::kNumber;
    if (c == ' ' || c == '\t' || c == '\v' || c == '\f') expected = tokenizer::kSpace;
    if (c == '\r' || c == '\n') expected = tokenizer::kSpace | tokenizer::kNewline;
    EXPECT_EQ(tokenizer::ClassifyCodePoint(c), expected) << static_cast<int>(c);
  }
  EXPECT_EQ(tokenizer::ClassifyCodePoint(U'\u00E9'), tokenizer::kLetter);
  EXPECT_EQ(tokenizer::ClassifyCodePoint(U'\u0663'), tokenizer::kNumber);  // Arabic-Indic three
  EXPECT_EQ(tokenizer::ClassifyCodePoint(U'\u2163'), tokenizer::kNumber);  // Roman numeral four (Nl)
  EXPECT_EQ(tokenizer::ClassifyCodePoint(U'\u3000'), tokenizer::kSpace);
  EXPECT_EQ(tokenizer::ClassifyCodePoint(U'\u0085'), tokenizer::kSpace);
  EXPECT_EQ(tokenizer::ClassifyCodePoint(U'\u200B'), tokenizer::kOther);  // zero width space is Cf
  EXPECT_EQ(tokenizer::ClassifyCodePoint(U'\u0301'), tokenizer::kMark);
}

// The quick check that lets most text skip libutf8proc must never skip text NFC would change:
// every code point, alone and after a few starters it might compose with.
TEST(tokenizer_unicode, NfcQuickCheckIsConservative) {
  size_t skipped = 0;
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    for (const char* prefix : {"", "a", "\xEA\xB0\x80" /* U+AC00 */, "\xE0\xA4\x95" /* U+0915 */}) {
      std::string text = prefix;
      tokenizer::AppendUtf8(text, cp);
      if (!tokenizer::IsTriviallyNormalized(tokenizer::NormalizerKind::kNfc, text)) continue;
      ++skipped;
      utf8proc_uint8_t* nfc = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(text.c_str()));
      ASSERT_NE(nfc, nullptr);
      std::string normalized(reinterpret_cast<const char*>(nfc));
      std::free(nfc);
      if (cp == 0) continue;  // NUL ends the C string
      ASSERT_EQ(normalized, text) << "U+" << std::hex << static_cast<uint32_t>(cp) << " after \"" << prefix << "\"";
    }
  }
  EXPECT_GT(skipped, 3000000u);  // most of Unicode takes the fast path
}

// ---- Split patterns ----

std::vector<std::string> Pieces(const tokenizer::SplitPattern& p, const std::string& text) {
  std::vector<tokenizer::Span> spans;
  p.Split(text, &spans);
  std::vector<std::string> out;
  for (const auto& s : spans) out.push_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

using Strings = std::vector<std::string>;

TEST(tokenizer_split_pattern, Llama3) {
  auto p = tokenizer::SplitPattern::Parse(deeper::testing::kLlama3Pattern, "test");
  EXPECT_EQ(Pieces(p, "Hello world"), (Strings{"Hello", " world"}));
  EXPECT_EQ(Pieces(p, "I'm HERE'S you'LL"), (Strings{"I", "'m", " HERE", "'S", " you", "'LL"}));
  EXPECT_EQ(Pieces(p, "12345 1"), (Strings{"123", "45", " ", "1"}));
  EXPECT_EQ(Pieces(p, "a  b"), (Strings{"a", " ", " b"}));
  EXPECT_EQ(Pieces(p, "a \n\n b"), (Strings{"a", " \n\n", " b"}));
  EXPECT_EQ(Pieces(p, "x   "), (Strings{"x", "   "}));
  EXPECT_EQ(Pieces(p, "hi!\n\nyo"), (Strings{"hi", "!\n\n", "yo"}));
  EXPECT_EQ(Pieces(p, "(1995)"), (Strings{"(", "199", "5", ")"}));
  EXPECT_EQ(Pieces(p, "\tword"), (Strings{"\tword"}));
  EXPECT_EQ(Pieces(p, "\r\nword"), (Strings{"\r\n", "word"}));
  EXPECT_EQ(Pieces(p, "\xC3\xBC" "ber caf\xC3\xA9"), (Strings{"\xC3\xBC" "ber", " caf\xC3\xA9"}));
  // A combining mark is neither a letter nor a number: it is punctuation-like.
  EXPECT_EQ(Pieces(p, "e\xCC\x81x"), (Strings{"e", "\xCC\x81x"}));
  // (?i) folds U+017F LATIN SMALL LETTER LONG S to 's' (Oniguruma's Unicode case folding).
  EXPECT_EQ(Pieces(p, "it'\xC5\xBF"), (Strings{"it", "'\xC5\xBF"}));
  // No-break space is \s but also a valid prefix of a word.
  EXPECT_EQ(Pieces(p, "a\xC2\xA0" "b"), (Strings{"a", "\xC2\xA0" "b"}));
  EXPECT_EQ(Pieces(p, ""), Strings{});
}

TEST(tokenizer_split_pattern, Qwen2SplitsSingleDigits) {
  auto p = tokenizer::SplitPattern::Parse(deeper::testing::kQwen2Pattern, "test");
  EXPECT_EQ(Pieces(p, "a 1234"), (Strings{"a", " ", "1", "2", "3", "4"}));
}

TEST(tokenizer_split_pattern, Gpt2IsCaseSensitive) {
  auto p = tokenizer::SplitPattern::Gpt2();
  EXPECT_EQ(Pieces(p, "Hello  world's 42x"), (Strings{"Hello", " ", " world", "'s", " 42", "x"}));
  EXPECT_EQ(Pieces(p, "IT'S"), (Strings{"IT", "'", "S"}));
}

TEST(tokenizer_split_pattern, UnknownAlternativeIsRefusedWithItsText) {
  try {
    tokenizer::SplitPattern::Parse(R"(\p{N}{1,4}|\s+)", "where");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\\p{N}{1,4}"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("where"), std::string::npos) << e.what();
  }
}

// ---- BPE ----

TEST(tokenizer_bpe, MergesByRankInBothEncodings) {
  json j = TinyTokenizerJson();
  Tokenizer as_strings = FromJson(j);
  json pairs = json::array();
  for (const json& m : j["model"]["merges"]) {
    std::string s = m.get<std::string>();
    pairs.push_back({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)});
  }
  j["model"]["merges"] = pairs;
  Tokenizer as_pairs = FromJson(j);
  for (const Tokenizer* tok : {&as_strings, &as_pairs}) {
    EXPECT_EQ(tok->Encode(" the", false), (std::vector<int32_t>{258}));
    EXPECT_EQ(tok->Encode("the", false), (std::vector<int32_t>{'t', 257}));
    EXPECT_EQ(tok->Encode("a the", false), (std::vector<int32_t>{'a', 258}));
    EXPECT_EQ(tok->Decode({'a', 258}, false), "a the");
  }
}

TEST(tokenizer_bpe, IgnoreMergesEmitsWholeVocabWords) {
  json j = TinyTokenizerJson();
  EXPECT_EQ(FromJson(j).Encode("xyz", false), (std::vector<int32_t>{259, 'z'}));
  j["model"]["ignore_merges"] = true;
  EXPECT_EQ(FromJson(j).Encode("xyz", false), (std::vector<int32_t>{260}));
  EXPECT_EQ(FromJson(j).Encode("xyzx", false), (std::vector<int32_t>{259, 'z', 'x'}));
}

TEST(tokenizer_bpe, LongWordsAndRepeatsAreMergedLeftmostFirst) {
  json j = TinyTokenizerJson();
  j["model"]["vocab"]["aa"] = 261;
  j["model"]["merges"].push_back("a a");
  Tokenizer tok = FromJson(j);
  EXPECT_EQ(tok.Encode("aaa", false), (std::vector<int32_t>{261, 'a'}));
  std::string many(1001, 'a');
  std::vector<int32_t> ids = tok.Encode(many, false);
  ASSERT_EQ(ids.size(), 501u);
  EXPECT_EQ(ids.back(), 'a');
  EXPECT_EQ(tok.Decode(ids, false), many);
}

// ---- added tokens ----

TEST(tokenizer_added_tokens, FlagsBehaveAsInHf) {
  json j = TinyTokenizerJson();
  j["added_tokens"] = json::array({
      AddedTokenJson(300, "<|bos|>", true),
      AddedTokenJson(301, "<mask>", true, /*lstrip=*/true),
      AddedTokenJson(302, "<r>", false, false, /*rstrip=*/true),
      AddedTokenJson(303, "word", false, false, false, /*single_word=*/true),
      AddedTokenJson(304, "<a>", false),
      AddedTokenJson(305, "<a>b", false),
  });
  Tokenizer tok = FromJson(j);
  using Ids = std::vector<int32_t>;
  EXPECT_EQ(tok.Encode("a<|bos|>b", false), (Ids{'a', 300, 'b'}));
  EXPECT_EQ(tok.Encode("a   <mask>b", false), (Ids{'a', 301, 'b'}));
  EXPECT_EQ(tok.Encode("<r>   b", false), (Ids{302, 'b'}));
  EXPECT_EQ(tok.Encode("a word b", false), (Ids{'a', ' ', 303, ' ', 'b'}));
  // single_word: inside a longer word it is not the added token.
  std::vector<int32_t> inside = tok.Encode("swords", false);
  EXPECT_EQ(std::count(inside.begin(), inside.end(), 303), 0);
  // Leftmost-longest.
  EXPECT_EQ(tok.Encode("<a>bc", false), (Ids{305, 'c'}));
  EXPECT_EQ(tok.Encode("<a>c", false), (Ids{304, 'c'}));
  // Decoding: special tokens can be skipped, other added tokens stay.
  EXPECT_EQ(tok.Decode({300, 'a', 304}, false), "<|bos|>a<a>");
  EXPECT_EQ(tok.Decode({300, 'a', 304}, true), "a<a>");
  EXPECT_TRUE(tok.IsSpecial(300));
  EXPECT_FALSE(tok.IsSpecial(304));
  EXPECT_EQ(tok.TokenId("<a>b"), 305);
  EXPECT_EQ(tok.vocab_size(), 306);
}

TEST(tokenizer_added_tokens, NormalizedTokensMatchTheNormalizedText) {
  json j = TinyTokenizerJson();
  j["normalizer"] = {{"type", "NFC"}};
  j["added_tokens"] = json::array({
      AddedTokenJson(300, "caf\xC3\xA9", false, false, false, false, /*normalized=*/true),
      AddedTokenJson(301, "ne\xCC\x81", false, false, false, false, /*normalized=*/false),
  });
  Tokenizer tok = FromJson(j);
  // Decomposed text is composed by NFC before the normalized token is looked for.
  EXPECT_EQ(tok.Encode("cafe\xCC\x81", false), (std::vector<int32_t>{300}));
  // A non-normalized token is matched in the raw text, before NFC.
  EXPECT_EQ(tok.Encode("ne\xCC\x81", false), (std::vector<int32_t>{301}));
  // Other text is NFC-normalized: decomposed é comes back composed.
  EXPECT_EQ(tok.Decode(tok.Encode("e\xCC\x81", false), false), "\xC3\xA9");
}

// ---- post-processor ----

TEST(tokenizer_post_processor, TemplateProcessingAddsItsTokensOnlyWithSpecialTokens) {
  json j = TinyTokenizerJson();
  j["added_tokens"] = json::array({AddedTokenJson(300, "<|bos|>", true), AddedTokenJson(301, "<|eos|>", true)});
  json bos = {{"id", "<|bos|>"}, {"ids", {300}}, {"tokens", {"<|bos|>"}}};
  json eos = {{"id", "<|eos|>"}, {"ids", {301}}, {"tokens", {"<|eos|>"}}};
  json tmpl = {{"type", "TemplateProcessing"},
               {"single",
                {{{"SpecialToken", {{"id", "<|bos|>"}, {"type_id", 0}}}},
                 {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                 {{"SpecialToken", {{"id", "<|eos|>"}, {"type_id", 0}}}}}},
               {"pair", json::array()},
               {"special_tokens", {{"<|bos|>", bos}, {"<|eos|>", eos}}}};
  // Llama-3.1 writes Sequence[ByteLevel, TemplateProcessing].
  j["post_processor"] = {{"type", "Sequence"},
                         {"processors", {{{"type", "ByteLevel"}, {"trim_offsets", false}}, tmpl}}};
  Tokenizer tok = FromJson(j, {{"bos_token", "<|bos|>"}, {"eos_token", {{"content", "<|eos|>"}}}});
  EXPECT_EQ(tok.Encode("a", true), (std::vector<int32_t>{300, 'a', 301}));
  EXPECT_EQ(tok.Encode("a", false), (std::vector<int32_t>{'a'}));
  EXPECT_EQ(tok.Encode("", true), (std::vector<int32_t>{300, 301}));
  EXPECT_EQ(tok.bos_id(), 300);
  EXPECT_EQ(tok.eos_id(), 301);
  EXPECT_FALSE(tok.pad_id().has_value());
}

TEST(tokenizer_pre_tokenizer, ByteLevelRegexAndPrefixSpace) {
  json j = TinyTokenizerJson();
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  Tokenizer tok = FromJson(j);
  EXPECT_EQ(tok.Encode("the", false), (std::vector<int32_t>{258}));
  EXPECT_EQ(tok.Encode(" the", false), (std::vector<int32_t>{258}));
  // After a Split, HF's ByteLevel adds the prefix space to every piece it receives.
  json split = TinyTokenizerJson()["pre_tokenizer"]["pretokenizers"][0];
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers", {split, {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", false}}}}};
  EXPECT_EQ(FromJson(j).Encode("the cat", false), (std::vector<int32_t>{258, ' ', 'c', 'a', 't'}));
  EXPECT_EQ(FromJson(j).Encode("x the", false), (std::vector<int32_t>{' ', 'x', 258}));
  // Split then ByteLevel with its own GPT-2 regex: both apply, in order.
  j["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = false;
  j["pre_tokenizer"]["pretokenizers"][1]["use_regex"] = true;
  EXPECT_EQ(FromJson(j).Encode("x the", false), (std::vector<int32_t>{'x', 258}));
}

// ---- errors on use ----

TEST(tokenizer_errors, InvalidUtf8AndUnknownIds) {
  Tokenizer tok = FromJson(TinyTokenizerJson());
  EXPECT_THROW(tok.Encode("ab\xC3", false), Error);
  EXPECT_THROW(tok.Decode({1000}, false), Error);
  EXPECT_THROW(tok.Decode({-1}, false), Error);
  EXPECT_THROW(tok.TokenId("nope"), Error);
  EXPECT_FALSE(tok.FindTokenId("nope").has_value());
  // Ids whose bytes are not UTF-8 decode to U+FFFD.
  EXPECT_EQ(tok.Decode({0xC3}, false), "\xEF\xBF\xBD");
}

// ---- real tokenizers beyond the goldens ----

TEST(tokenizer_real, QwenNormalizesBeforeEncoding) {
  Tokenizer qwen = Tokenizer::FromDirectory(kDataDir + "/qwen3");
  EXPECT_EQ(qwen.Encode("cafe\xCC\x81", false), qwen.Encode("caf\xC3\xA9", false));
  Tokenizer llama = Tokenizer::FromDirectory(kDataDir + "/llama3");
  EXPECT_NE(llama.Encode("cafe\xCC\x81", false), llama.Encode("caf\xC3\xA9", false));
  EXPECT_EQ(llama.Decode(llama.Encode("cafe\xCC\x81", false), false), "cafe\xCC\x81");
}

TEST(tokenizer_real, EncodeIsThreadSafe) {
  Tokenizer tok = Tokenizer::FromDirectory(kDataDir + "/qwen3");
  const std::string text = "The quick brown fox jumps over the lazy dog, 1234 times!\n";
  const std::vector<int32_t> expected = tok.Encode(text, false);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (tok.Encode(text + std::to_string(i % 7), false).size() < expected.size()) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

// ---- chat formats ----

TEST(tokenizer_chat_format, Qwen3RulesForAssistantTurnsAndThinking) {
  Tokenizer qwen = Tokenizer::FromDirectory(kDataDir + "/qwen3");
  ChatFormat chat = ChatFormat::ByName("chatml", qwen);
  EXPECT_EQ(chat.Render({{"user", "hi"}, {"assistant", "yo"}}, false),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nyo<|im_end|>\n");
  EXPECT_EQ(chat.Render({{"user", "hi"}, {"assistant", "<think>\nhmm\n</think>\n\nyo"}}, false),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\nhmm\n</think>\n\nyo<|im_end|>\n");
  // Before the last user query, reasoning is dropped.
  EXPECT_EQ(chat.Render({{"user", "a"}, {"assistant", "<think>r</think>b"}, {"user", "c"}}, false),
            "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>user\nc<|im_end|>\n");
  ChatFormat thinking = ChatFormat::ByName("chatml", qwen, ChatFormatOptions{/*enable_thinking=*/true});
  EXPECT_EQ(thinking.Render({{"user", "q"}}, true), "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_THROW(chat.Render({{"narrator", "x"}}, false), Error);
}

TEST(tokenizer_chat_format, PlainChatMlAndLlama3WithConditionalHeader) {
  json j = TinyTokenizerJson();
  j["added_tokens"] = json::array({AddedTokenJson(300, "<|im_start|>", true), AddedTokenJson(301, "<|im_end|>", true),
                                   AddedTokenJson(302, "<|begin_of_text|>", true),
                                   AddedTokenJson(303, "<|start_header_id|>", true),
                                   AddedTokenJson(304, "<|end_header_id|>", true), AddedTokenJson(305, "<|eot_id|>", true)});
  Tokenizer plain = FromJson(j);
  ChatFormat chatml = ChatFormat::ByName("chatml", plain);
  EXPECT_EQ(chatml.Render({{"user", "q "}}, true), "<|im_start|>user\nq <|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(chatml.RenderIds({{"user", "q"}}, false),
            (std::vector<int32_t>{300, 'u', 's', 'e', 'r', '\n', 'q', 301, '\n'}));
  // An Instruct-style template tests add_generation_prompt: the header is added only on request.
  Tokenizer instruct = FromJson(j, {{"bos_token", "<|begin_of_text|>"},
                                    {"chat_template", "{% if add_generation_prompt %}...{% endif %}"}});
  ChatFormat llama = ChatFormat::ByName("llama3", instruct);
  EXPECT_EQ(llama.Render({{"user", " hi\n"}}, false),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>");
  EXPECT_EQ(llama.Render({{"user", "hi"}}, true),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // Llama-3.1 style: a system turn with the dates always comes first.
  Tokenizer llama31 = FromJson(j, {{"bos_token", "<|begin_of_text|>"},
                                   {"chat_template", "{{- \"Cutting Knowledge Date: December 2023\\n\" }} "
                                                     "{% if add_generation_prompt %}...{% endif %}"}});
  ChatFormat llama31_format = ChatFormat::ByName("llama3", llama31);
  EXPECT_EQ(llama31_format.Render({{"system", " Be brief. "}, {"user", "hi"}}, true),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(llama31_format.Render({{"user", "hi"}}, false),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>");
  EXPECT_THROW(ChatFormat::ByName("alpaca", plain), Error);
  EXPECT_THROW(ChatFormat::ByName("llama3", FromJson(TinyTokenizerJson())), Error);
}

}  // namespace
}  // namespace deeper
