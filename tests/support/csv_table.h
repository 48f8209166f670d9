#pragma once
// A strict RFC 4180 reader for the tests: what a data tool (pandas.read_csv, a spreadsheet) sees
// when it opens a CSV nesim wrote, so a test can hold every written CSV to "the first line is the
// header, every record has as many fields as the header".
#include <string>
#include <vector>

namespace nesim::test {

struct CsvTable {
  std::vector<std::string> header;             // the first record
  std::vector<std::vector<std::string>> rows;  // every later record, quotes removed
  std::string error;                           // "" when the text is well-formed CSV
  std::string header_line;                     // the first line as written
};

// Parses `text`; quoted fields may hold commas, doubled quotes and line breaks. A quote inside an
// unquoted field, text after a closing quote, an unterminated quote or a missing final newline is
// an error, as is a record whose field count differs from the header's.
inline CsvTable parse_csv(const std::string& text) {
  CsvTable t;
  t.header_line = text.substr(0, text.find('\n'));
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c != '"') field += c;
      else if (i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else quoted = false;
      continue;
    }
    if (c == ',' || c == '\n') {
      record.push_back(field);
      field.clear();
      was_quoted = false;
      if (c == '\n') records.push_back(std::move(record)), record.clear();
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == '"' || was_quoted) {
      t.error = "a stray quote or text after a closing quote at byte " + std::to_string(i);
      return t;
    } else {
      field += c;
    }
  }
  if (quoted) t.error = "an unterminated quoted field";
  else if (!record.empty() || !field.empty()) t.error = "no newline after the last record";
  if (records.empty() && t.error.empty()) t.error = "no header";
  if (!t.error.empty()) return t;
  t.header = records.front();
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != t.header.size() && t.error.empty())
      t.error = "record " + std::to_string(r + 1) + " has " + std::to_string(records[r].size()) + " fields, the header " +
                std::to_string(t.header.size());
    t.rows.push_back(std::move(records[r]));
  }
  return t;
}

}  // namespace nesim::test
