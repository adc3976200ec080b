#include "cli/cli_common.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tock::cli {

TEST_SUITE("CliFlags") {
  TEST_CASE("--name value, --name=value, repeats, booleans and positionals") {
    Result<Flags> f = ParseFlags({"show", "--server", "h:1", "--header=a: b", "--header", "c: d",
                                  "--no-timestamp-check", "KEY"},
                                 {"server", "header"}, {"no-timestamp-check"});
    REQUIRE(f.ok());
    CHECK(f->Last("server") == "h:1");
    CHECK(f->values.at("header") == std::vector<std::string>{"a: b", "c: d"});
    CHECK(f->Bool("no-timestamp-check"));
    CHECK(f->positional == std::vector<std::string>{"show", "KEY"});
  }

  TEST_CASE("an unknown flag or a missing value is refused") {
    CHECK(ParseFlags({"--nope"}, {"server"}, {}).status().message() == "unknown flag --nope");
    CHECK(ParseFlags({"--server"}, {"server"}, {}).status().message() ==
          "flag --server: needs a value");
  }

  TEST_CASE("the server gets a scheme; --token wins over the environment") {
    Result<Flags> f = ParseFlags({"--server", "127.0.0.1:9/", "--token", "T"},
                                 AdminFlagNames(), {});
    REQUIRE(f.ok());
    Result<AdminTarget> t = ResolveAdminTarget(*f);
    REQUIRE(t.ok());
    CHECK(t->server == "http://127.0.0.1:9");
    CHECK(t->token == "T");
  }
}

}  // namespace tock::cli
