#include "app/output.hpp"

#include <algorithm>

#include "common/errors.hpp"
#include "warehouse/result_text.hpp"

namespace billingfoot::app {

using warehouse::ColumnKind;

Format parse_format(const std::string& text) {
  if (text == "table") return Format::Table;
  if (text == "csv") return Format::Csv;
  if (text == "json") return Format::Json;
  throw UsageError("--format must be table, csv or json, not '" + text + "'");
}

std::string format_money(const std::string& decimal_text) {
  if (decimal_text.empty()) return "";
  std::string s = decimal_text;
  bool negative = s[0] == '-';
  if (negative || s[0] == '+') s = s.substr(1);
  size_t dot = s.find('.');
  std::string whole = dot == std::string::npos ? s : s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (whole.empty()) whole = "0";
  if (whole.find_first_not_of("0123456789") != std::string::npos ||
      frac.find_first_not_of("0123456789") != std::string::npos) {
    return decimal_text;  // not plain decimal text (e.g. exponent); show as is
  }
  frac.resize(std::max<size_t>(frac.size(), 3), '0');
  // Round half away from zero at the cent, on the digits.
  std::string digits = whole + frac.substr(0, 2);
  if (frac[2] >= '5') {
    int i = static_cast<int>(digits.size()) - 1;
    while (i >= 0) {
      if (digits[i] == '9') {
        digits[i] = '0';
        --i;
      } else {
        ++digits[i];
        break;
      }
    }
    if (i < 0) digits.insert(digits.begin(), '1');
  }
  std::string cents = digits.substr(digits.size() - 2);
  std::string units = digits.substr(0, digits.size() - 2);
  size_t first = units.find_first_not_of('0');
  units = first == std::string::npos ? "0" : units.substr(first);
  std::string grouped;
  for (size_t i = 0; i < units.size(); ++i) {
    if (i && (units.size() - i) % 3 == 0) grouped += ',';
    grouped += units[i];
  }
  bool zero = grouped == "0" && cents == "00";
  return (negative && !zero ? "-" : "") + grouped + "." + cents;
}

namespace {

bool numeric(ColumnKind kind) {
  return kind == ColumnKind::Integer || kind == ColumnKind::Decimal || kind == ColumnKind::Float;
}

// Display width in characters (UTF-8 aware enough for alignment).
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

void render(std::ostream& out, const warehouse::Result& result, Format format, const TableStyle& style) {
  size_t cols = result.column_count();
  if (format == Format::Csv) {
    warehouse::write_csv(out, result);
    return;
  }
  if (format == Format::Json) {
    warehouse::write_json_objects(out, result);
    return;
  }
  auto is_money = [&](size_t c) {
    return std::find(style.money_columns.begin(), style.money_columns.end(), result.column_name(c)) !=
           style.money_columns.end();
  };
  std::vector<std::vector<std::string>> cells(result.row_count(), std::vector<std::string>(cols));
  std::vector<size_t> widths(cols);
  for (size_t c = 0; c < cols; ++c) widths[c] = width(result.column_name(c));
  for (size_t r = 0; r < result.row_count(); ++r) {
    for (size_t c = 0; c < cols; ++c) {
      std::string v = result.is_null(r, c) ? "(null)" : is_money(c) ? format_money(result.text(r, c)) : result.text(r, c);
      widths[c] = std::max(widths[c], width(v));
      cells[r][c] = std::move(v);
    }
  }
  auto line = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < cols; ++c) {
      std::string pad(widths[c] - width(row[c]), ' ');
      bool right = numeric(result.column_kind(c));
      out << (c ? "  " : "") << (right ? pad + row[c] : row[c] + (c + 1 < cols ? pad : ""));
    }
    out << "\n";
  };
  line(result.column_names());
  std::vector<std::string> rule(cols);
  for (size_t c = 0; c < cols; ++c) rule[c] = std::string(widths[c], '-');
  line(rule);
  for (const auto& row : cells) line(row);
  if (!style.footer.empty()) out << style.footer << "\n";
}

void print_sync_result(std::ostream& out, const std::string& source, size_t name_width,
                       const sources::SyncResult& result, const std::string& currency) {
  auto pad = [](std::string s, size_t n) {
    if (s.size() < n) s.resize(n, ' ');
    return s;
  };
  std::string name = pad(source, name_width);
  if (!result.error.empty()) out << name << "  *        failed     " << result.error << "\n";
  if (result.periods.empty() && result.error.empty()) out << name << "  no billing periods in range\n";
  for (const auto& p : result.periods) {
    out << name << "  " << p.billing_period << "  " << pad(std::string(sources::status_name(p.status)), 10);
    if (p.status == sources::PeriodStatus::Failed) {
      out << p.message << "\n";
    } else {
      std::string rows = std::to_string(p.rows);
      out << std::string(rows.size() < 9 ? 9 - rows.size() : 0, ' ') << rows << " rows  " << format_money(p.billed_cost)
          << " " << currency << " billed\n";
    }
  }
}

}  // namespace billingfoot::app
