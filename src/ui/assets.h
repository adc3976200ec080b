// The console's files (src/ui/), embedded in the binary at build time: tools/embed_assets.py
// turns each into a byte array in the generated ui_assets.cc (src/ui/meson.build). Nothing
// is read from disk at run time.
//
// Thread-safety: constant data; every function is pure.
#pragma once

#include <span>
#include <string_view>

namespace tock::ui {

struct Asset {
  std::string_view name;          // file name under src/ui/, e.g. "app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view etag;          // strong: "\"<first 32 hex digits of its SHA-256>\""
  std::string_view body;
};

// Every embedded file, sorted by name.
std::span<const Asset> Assets();
// The asset named `name`, or null.
const Asset* FindAsset(std::string_view name);

}  // namespace tock::ui
