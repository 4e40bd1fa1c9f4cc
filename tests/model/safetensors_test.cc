// The torch-free safetensors parser and writer: round trips and every way a header can lie.
#include "model/safetensors.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>

#include "common/error.h"
#include "common/files.h"
#include "tests/model/test_util.h"

namespace deeper {
namespace {

// A file image: u64 length + header text (as given, unpadded) + `data_bytes` zero bytes.
std::string Image(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\0');
}

// Parses an in-memory image and returns the error message ("" when it parsed).
std::string ParseError(const std::string& image) {
  try {
    ParseSafetensorsHeader(reinterpret_cast<const uint8_t*>(image.data()), image.size(), "bad.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelSafetensors, WriteThenReadRoundTrip) {
  test::TempDir dir("st");
  const float a[6] = {1, 2, 3, 4, 5, 6};
  const int64_t b[2] = {-7, 1LL << 40};
  const uint8_t c[3] = {1, 0, 1};
  WriteSafetensors(dir / "x.safetensors",
                   {{"zeta", StDtype::kF32, {2, 3}, a, sizeof(a)},
                    {"alpha", StDtype::kI64, {2}, b, sizeof(b)},
                    {"mask", StDtype::kBool, {3}, c, sizeof(c)},
                    {"empty", StDtype::kF16, {0, 4}, nullptr, 0}},
                   {{"format", "pt"}});
  const std::string bytes = ReadFile(dir / "x.safetensors");
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u) << "data buffer must start 8-byte aligned";
  EXPECT_EQ(bytes.find("\"__metadata__\":{\"format\":\"pt\"}"), 8u + 1) << bytes.substr(8, n);

  SafetensorsFile file = SafetensorsFile::Open(dir / "x.safetensors");
  EXPECT_EQ(file.metadata().at("format"), "pt");
  ASSERT_EQ(file.tensors().size(), 4u);
  // Data is laid out in name order.
  EXPECT_EQ(file.tensors()[0].name, "alpha");
  const StTensorInfo& zeta = file.Get("zeta");
  EXPECT_EQ(zeta.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(file.Data(zeta), a, sizeof(a)), 0);
  EXPECT_EQ(std::memcmp(file.Data(file.Get("alpha")), b, sizeof(b)), 0);
  EXPECT_EQ(file.Get("empty").nbytes(), 0u);
  EXPECT_EQ(file.Find("nope"), nullptr);
  try {
    file.Get("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'nope' not found"), std::string::npos);
  }
}

TEST(ModelSafetensors, ReadsReferenceFile) {
  SafetensorsFile file = SafetensorsFile::Open(test::ModelData("tiny-llama-lora/adapter_model.safetensors"));
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.tensors().size(), 28u);
  EXPECT_EQ(file.Get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape,
            (std::vector<int64_t>{4, 64}));
}

TEST(ModelSafetensors, WriterRefusesInconsistentEntries) {
  const float a[2] = {1, 2};
  EXPECT_THROW(EncodeSafetensorsHeader({{"a", StDtype::kF32, {3}, a, sizeof(a)}}, {}), Error);
  EXPECT_THROW(EncodeSafetensorsHeader({{"a", StDtype::kF32, {2}, a, 8}, {"a", StDtype::kF32, {2}, a, 8}}, {}), Error);
}

struct BadHeader {
  const char* what;
  std::string image;
  const char* expected;  // Substring of the error message.
};

TEST(ModelSafetensors, MalformedHeadersGiveClearErrors) {
  const std::string ok = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string huge(8, '\0');
  const uint64_t big = uint64_t{1} << 40;
  std::memcpy(huge.data(), &big, 8);
  std::string past_end(8, '\0');
  const uint64_t n = 500;
  std::memcpy(past_end.data(), &n, 8);
  past_end += "{}";
  const std::vector<BadHeader> cases = {
      {"too short", "abc", "shorter than the header length"},
      {"huge header length", huge + "{}", "exceeds the"},
      {"header past end", past_end, "runs past the end of the file"},
      {"truncated data", Image(ok, 4), "past the end of the data buffer"},
      {"trailing bytes", Image(ok, 12), "4 bytes after the last tensor"},
      {"bad json", Image(R"({"t":{"dtype":"F32",)", 0), "not valid JSON"},
      {"not an object", Image("[1]", 0), "does not start with '{'"},
      {"deep nesting", Image(std::string(50, '{') + std::string(50, '}'), 0), "nests deeper"},
      {"missing dtype", Image(R"({"t":{"shape":[2],"data_offsets":[0,8]}})", 8), "tensor 't': missing dtype"},
      {"missing shape", Image(R"({"t":{"dtype":"F32","data_offsets":[0,8]}})", 8), "tensor 't': missing shape"},
      {"missing offsets", Image(R"({"t":{"dtype":"F32","shape":[2]}})", 8), "tensor 't': data_offsets"},
      {"unknown dtype", Image(R"({"t":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}})", 2), "unsupported dtype 'F8'"},
      {"negative dim", Image(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "non-negative"},
      {"size lies", Image(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "need 12 bytes but data_offsets span 8"},
      {"overflowing shape",
       Image(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", 8), "overflows"},
      {"begin after end", Image(R"({"t":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", 8), "is after end"},
      {"overlap",
       Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
       "overlap the previous tensor"},
      {"hole",
       Image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", 12),
       "hole in the data buffer"},
      {"duplicate name",
       Image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
       "tensor 'a': listed twice"},
      {"bad metadata", Image(R"({"__metadata__":{"k":1}})", 0), "__metadata__ value of 'k'"},
  };
  for (const auto& c : cases) {
    const std::string message = ParseError(c.image);
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.what << ": got '" << message << "'";
    EXPECT_NE(message.find("bad.safetensors"), std::string::npos) << c.what << ": the message names the file";
  }
  EXPECT_EQ(ParseError(Image(ok, 8)), "");
  EXPECT_EQ(ParseError(Image("{}   ", 0)), "") << "space padding is allowed";
}

TEST(ModelSafetensors, OpenNamesTheFile) {
  test::TempDir dir("st");
  WriteFileAtomic(dir / "cut.safetensors", Image(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 7));
  try {
    SafetensorsFile::Open(dir / "cut.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "cut.safetensors"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tensor 't'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SafetensorsFile::Open(dir / "absent.safetensors"), Error);
  WriteFileAtomic(dir / "empty.safetensors", "");
  EXPECT_THROW(SafetensorsFile::Open(dir / "empty.safetensors"), Error);
}

}  // namespace
}  // namespace deeper
