# Writes a C++ file holding the YAML configs as byte arrays (no escaping pitfalls).
function(embed var path out_text)
  file(READ ${path} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  set(${out_text} "static const char ${var}[] = {${bytes} 0x00};\n" PARENT_SCOPE)
endfunction()
embed(kDefaults ${DEFAULTS} defaults_text)
embed(kQuickstart ${QUICKSTART} quickstart_text)
file(WRITE ${OUT} "// Generated from configs/*.yaml; do not edit.\n#include \"pipeline/config.h\"\n"
     "namespace deeper {\nnamespace {\n${defaults_text}${quickstart_text}}  // namespace\n"
     "const std::string& EmbeddedDefaultsYaml() { static const std::string s(kDefaults); return s; }\n"
     "const std::string& EmbeddedQuickstartYaml() { static const std::string s(kQuickstart); return s; }\n"
     "}  // namespace deeper\n")
