/* export: what a chef de projet pulls out of pv-collector.
 *
 * Streams one survey's responses of one territory as CSV (UTF-8 with BOM,
 * ';' separators, CRLF, RFC 4180 quoting, formula cells defused), JSON,
 * or GeoJSON (RFC 7946: one Point Feature per pin of a map question that
 * has geographic bounds; plans are north-up, so a pin at x, y lies at
 * lon = west + x (east - west), lat = north - y (north - south)),
 * through a caller's sink, with bounded memory: responses are walked with
 * pv_cdb_export's cursor and each row is written and forgotten. Columns
 * come from the published survey definitions (every version the territory
 * sees, union of their questions). A codebook describes every column in
 * French with its référentiel codes and value labels. pv_export_to_dir
 * writes the data file, codebook.csv and the attachments to a folder
 * (`pv-collector export --out DIR`). docs/sync-protocol.md, "Exports", is
 * the analyst's reference for every column and the JSON shape. */
#ifndef PV_COLLECTOR_EXPORT_H
#define PV_COLLECTOR_EXPORT_H

#include <stddef.h>

#include "collector/storage.h"
#include "core/err.h"

/* Bytes the writer buffers before calling the sink (one flush each). */
#define PV_EXPORT_CHUNK (64 << 10)
/* Survey versions of one survey taken into the columns. */
#define PV_EXPORT_MAX_VERSIONS 256
/* Columns of one data file (fixed ones included). */
#define PV_EXPORT_MAX_COLUMNS 2048

/* Receives the next len bytes of the output, in order; a non-zero return
 * stops the export and becomes its result (e.g. the HTTP client left). */
typedef pv_err (*pv_export_sink_fn)(void *ud, const void *bytes, size_t len);

/* Returns 1 when format is "csv", "json" or "geojson", else 0. */
int pv_export_format_valid(const char *format);
/* Returns the media type for format: "text/csv; charset=utf-8",
 * "application/json" or "application/geo+json"; static, NULL for an
 * unknown format. */
const char *pv_export_media_type(const char *format);

/* Streams the responses of territory (NULL = every territory) matching f
 * (f->survey_id required) in format "csv", "json" or "geojson" through
 * sink. GeoJSON is a FeatureCollection, with no features when no map
 * question has bounds.
 * PV_ERR_NOTFOUND when no version of the survey is visible to territory
 * (nothing written then); PV_ERR_INVALID for a bad format or filter. A
 * failure after the first byte leaves a truncated output (the HTTP layer
 * spools it, so it can still answer with an error). With territory NULL
 * the CSV "territory" cells are empty and JSON's null: a stored response
 * does not carry its territory. */
pv_err pv_export_write(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                       const char *format, pv_export_sink_fn sink, void *ud);

/* Streams codebook.csv for survey_id as territory sees it: one row per
 * column of the CSV data file, same CSV conventions. PV_ERR_NOTFOUND as
 * above. */
pv_err pv_export_codebook(pv_cdb *db, const char *territory, const char *survey_id,
                          pv_export_sink_fn sink, void *ud);

/* Writes into out_dir (created if missing): <survey>.csv, .json or
 * .geojson (format), codebook.csv, with csv and json also <survey>.geojson
 * when a version of the survey has a map question with bounds, and
 * attachments/<sha256>.<ext> for every attachment the csv or json data
 * file names, and with a territory prompts/<survey>/<lang>/<key>.<ext> for
 * each of the territory's current recorded prompts of the survey (':' in
 * the key written '.'). Each file goes to a temporary name, is fsynced
 * and renamed over; files of those names are replaced, nothing else in
 * out_dir is touched or deleted. Attachments are stored per territory:
 * with territory NULL, responses naming any give PV_ERR_INVALID (after
 * the data file and codebook are written). */
pv_err pv_export_to_dir(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                        const char *format, const char *out_dir);

#endif
