#pragma once
// Which files make up the current bill of each billing period in an AWS export location.
//
// AWS delivers several times a day and every delivery holds the whole month so far, so the
// files of one delivery are the month; files of two deliveries must never be combined. Per
// billing period we take the newest manifest and exactly the files it lists. When there is no
// usable manifest we list the data folder instead: in "overwrite" mode its files are the one
// delivery; in "create new version" mode each delivery has its own sub-folder and only the
// newest sub-folder counts.
//
// Layouts (partition and folder names matched case-insensitively):
//   Data Exports  data/BILLING_PERIOD=YYYY-MM/[delivery/]<files>
//                 metadata/BILLING_PERIOD=YYYY-MM/[delivery/]<export>-Manifest.json
//   legacy CUR    yyyymmdd-yyyymmdd/<report>-Manifest.json  (points at the newest assembly)
//                 yyyymmdd-yyyymmdd/<assemblyId>/<report>-<n>.csv.gz|.csv.zip|.parquet
//                 year=YYYY/month=MM/<files>                (overwrite / Athena layout)
#include <functional>
#include <string>
#include <vector>

#include "sources/object_store.hpp"

namespace billingfoot::sources::aws {

struct Delivery {
  std::string billing_period;  // YYYY-MM
  std::string layout;          // "data-exports" | "legacy-cur"
  std::string manifest;        // key of the manifest used; "" when the folder was listed
  std::vector<StoredObject> files;
  std::string fingerprint;  // changes whenever what this delivery consists of changes
  std::string note;         // why the folder was listed instead of following a manifest
};

using ReadText = std::function<std::string(const std::string& key)>;

// One delivery per billing period found in `listing`, sorted by billing period. Throws
// InputError when two exports in the location deliver the same billing period.
std::vector<Delivery> find_deliveries(const std::vector<StoredObject>& listing, const ReadText& read_text);

// True for the names of data files AWS writes (.parquet, .csv, .csv.gz, .csv.zip, .gz).
bool is_data_file(const std::string& key);

// The data file references a manifest lists: `dataFiles` (Data Exports) or `reportKeys`
// (legacy CUR); failing both, any array of strings naming data files. Throws InputError on
// malformed JSON.
std::vector<std::string> manifest_files(const std::string& manifest_json);

}  // namespace billingfoot::sources::aws
