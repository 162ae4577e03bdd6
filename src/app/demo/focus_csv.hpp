#pragma once
// Writes demo charges as FOCUS 1.2 CSV: one file per billing month, columns in the order of the
// FOCUS catalogue. Used by every provider whose native export format the demo does not yet
// imitate.
#include <map>
#include <string>
#include <vector>

#include "app/demo/charge.hpp"

namespace billingfoot::app::demo {

struct GeneratedFile {
  std::string path;  // relative to the demo folder
  std::string content;
  int64_t rows = 0;  // charges it holds that count (0 for a superseded delivery or a manifest)
};

class FocusCsvExport {
 public:
  // Files are named `<folder>/<file_prefix>-YYYY-MM.csv`. Closed months of `timeline` get an
  // InvoiceId; the month to date has none yet.
  FocusCsvExport(Biller biller, std::string folder, std::string file_prefix,
                 const Timeline& timeline);
  void add(const Charge& charge);
  std::vector<GeneratedFile> files() const;  // by month

 private:
  struct Month {
    std::string period_start, period_end, invoice_id;
    std::string csv;
    int64_t rows = 0;
  };
  Month& month_of(Day day);

  Biller biller_;
  std::string folder_, file_prefix_;
  Timeline timeline_;
  std::map<std::string, Month> months_;
};

}  // namespace billingfoot::app::demo
