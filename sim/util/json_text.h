#pragma once
// JSON text of a value that may carry user strings (model, layer and file names). nlohmann's
// plain dump() throws type_error.316 on a byte sequence that is not UTF-8 (a Latin-1 name);
// every writer goes through here instead, so such a byte becomes U+FFFD and the file is written.
#include <string>

#include <nlohmann/json.hpp>

namespace nesim {

// indent -1: one line; n >= 0: pretty-printed with n spaces, as json::dump(n). Json is
// nlohmann::json or nlohmann::ordered_json.
template <class Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace nesim
