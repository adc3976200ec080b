#include "http/message.h"

#include <algorithm>

namespace tock::http {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

// Linear scans: a request carries a dozen headers or so, and a hash map would cost an
// allocation per request for no gain at that size.
const HeaderField* FindHeader(const std::vector<HeaderField>& headers, std::string_view name) {
  for (const HeaderField& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h;
  }
  return nullptr;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view Request::Header(std::string_view name) const {
  const HeaderField* h = FindHeader(headers, name);
  return h ? std::string_view(h->value) : std::string_view();
}

bool Request::HasHeader(std::string_view name) const {
  return FindHeader(headers, name) != nullptr;
}

const std::string* Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

void Response::SetHeader(std::string_view name, std::string value) {
  // The first header of that name keeps its place (and takes the new spelling); later ones go.
  auto first = std::find_if(headers.begin(), headers.end(),
                            [&](const HeaderField& h) { return EqualsIgnoreCase(h.name, name); });
  if (first == headers.end()) {
    headers.push_back(HeaderField{std::string(name), std::move(value)});
    return;
  }
  first->name.assign(name);
  first->value = std::move(value);
  headers.erase(
      std::remove_if(first + 1, headers.end(),
                     [&](const HeaderField& h) { return EqualsIgnoreCase(h.name, name); }),
      headers.end());
}

std::string_view Response::Header(std::string_view name) const {
  const HeaderField* h = FindHeader(headers, name);
  return h ? std::string_view(h->value) : std::string_view();
}

void Response::SetBody(int status_code, std::string body_text, std::string_view type) {
  status = status_code;
  body = std::move(body_text);
  content_type.assign(type);
}

std::string_view ReasonPhrase(int status) {
  // RFC 9110 §15 phrases, for the codes tock sends (and a few neighbours a handler may use).
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace tock::http
