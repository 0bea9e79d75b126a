//! Labeled-data loading: a CSV with a text column and a label column in, checked rows
//! out. Every problem names the file and line. Not training and not metrics.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One CSV that rows were read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// How many rows it gave.
    pub rows: usize,
}

/// Rows of one or more labeled CSVs, in file order.
#[derive(Debug, Clone)]
pub struct LabeledData {
    /// The files, in the order their rows follow one another.
    pub files: Vec<DataFile>,
    pub texts: Vec<String>,
    pub labels: Vec<String>,
    /// The line each row starts on in its file (1 is the header).
    pub lines: Vec<u64>,
    /// Rows whose text and label repeat an earlier row's, in any of the files.
    pub duplicates: usize,
    /// Each row's value of the group column, when one was asked for.
    pub groups: Option<Vec<String>>,
    /// Each row's place in an article: its `id` split at the last `-` into the article and
    /// the sentence's number (`BF-01` and 7 for `BF-01-007`), or `None` for a row without an
    /// `id` column or without such an id (`t0001`, or `suggest`'s `file.txt#4`).
    pub articles: Vec<Option<SentenceId>>,
}

/// The column whose values name a row's article (up to their last `-`).
pub const ID_COLUMN: &str = "id";

/// Where a row sits in an article, read off an id `ARTICLE-NUMBER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentenceId {
    pub article: String,
    pub number: u64,
}

impl SentenceId {
    /// Splits an id at its last `-`, when the article before it is not empty and only
    /// digits (the sentence's number) follow it.
    pub fn parse(id: &str) -> Option<SentenceId> {
        let (article, number) = id.rsplit_once('-')?;
        if article.is_empty() || number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(SentenceId {
            article: article.to_string(),
            number: number.parse().ok()?,
        })
    }

    /// Whether this row goes on the article of the row `before` it: the same article,
    /// a later sentence. A number that does not rise starts another article that happens
    /// to share the name (`a-1 a-2 a-1 a-2` is two articles), so rows of two articles are
    /// never read as one.
    fn continues(&self, before: &SentenceId) -> bool {
        self.article == before.article && self.number > before.number
    }
}

impl LabeledData {
    /// Runs of consecutive rows of one file that belong to the same article, with rising
    /// sentence numbers, in order and covering every row: a row of no article is a run of
    /// its own. Sentences of an article are read in one another's context only within a run.
    pub fn article_runs(&self) -> Vec<std::ops::Range<usize>> {
        let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
        let mut start = 0;
        for file in &self.files {
            let end = start + file.rows;
            for row in start..end {
                let goes_on = row > start
                    && match (&self.articles[row], &self.articles[row - 1]) {
                        (Some(this), Some(before)) => this.continues(before),
                        _ => false,
                    };
                match runs.last_mut() {
                    Some(run) if goes_on => run.end = row + 1,
                    _ => runs.push(row..row + 1),
                }
            }
            start = end;
        }
        runs
    }

    /// The file that row `index` came from.
    pub fn file_of(&self, index: usize) -> &Path {
        let mut end = 0;
        for file in &self.files {
            end += file.rows;
            if index < end {
                return &file.path;
            }
        }
        panic!("row {index} is past the {end} rows read");
    }

    /// Where the rows of `label` came from, as `FILE:LINE` joined by commas: the first
    /// `at_most`, then "…" when there are more.
    pub fn locations_of(&self, label: &str, at_most: usize) -> String {
        let mut rows = (0..self.len()).filter(|&i| self.labels[i] == label);
        let mut locations: Vec<String> = rows
            .by_ref()
            .take(at_most)
            .map(|i| self.location(i))
            .collect();
        if rows.next().is_some() {
            locations.push("…".to_string());
        }
        locations.join(", ")
    }

    /// Where row `index` came from, as `FILE:LINE`.
    pub fn location(&self, index: usize) -> String {
        format!("{}:{}", self.file_of(index).display(), self.lines[index])
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The distinct labels, sorted.
    pub fn label_set(&self) -> Vec<String> {
        let mut labels = self.labels.clone();
        labels.sort();
        labels.dedup();
        labels
    }

    /// Rows per label, in `label_set` order.
    pub fn counts(&self) -> Vec<(String, usize)> {
        self.label_set()
            .into_iter()
            .map(|label| {
                let count = self.labels.iter().filter(|l| **l == label).count();
                (label, count)
            })
            .collect()
    }

    /// Each row's label as an index into `labels`, or an error naming the first label
    /// that `labels` lacks.
    pub fn targets(&self, labels: &[String]) -> Result<Vec<usize>> {
        let found: Vec<Option<usize>> = self
            .labels
            .iter()
            .map(|label| labels.iter().position(|l| l == label))
            .collect();
        let Some(first) = found.iter().position(Option::is_none) else {
            return Ok(found.into_iter().flatten().collect());
        };
        let label = &self.labels[first];
        // "Pro-Kremlin" or "pro kremlin" for "pro_kremlin": say so rather than guess.
        let spelling = |l: &str| l.trim().to_lowercase().replace(['-', ' '], "_");
        Err(Error::LabelMismatch {
            location: self.location(first),
            label: label.clone(),
            model: labels.to_vec(),
            hint: labels
                .iter()
                .find(|l| spelling(l) == spelling(label))
                .cloned(),
            more_rows: found[first + 1..].iter().filter(|t| t.is_none()).count(),
        })
    }
}

/// How many rows of the CSV at `path` have a non-empty `label_column`: 0 when there is no
/// such regular file (a pipe or a device is never read here), it is not a CSV with that
/// column, or no label is filled in. For not writing over labels someone has begun to
/// fill in.
pub fn count_filled_labels(path: &Path, label_column: &str) -> usize {
    if !path.is_file() {
        return 0;
    }
    let Ok(mut reader) = csv::ReaderBuilder::new().flexible(true).from_path(path) else {
        return 0;
    };
    let Some(index) = reader
        .byte_headers()
        .ok()
        .and_then(|h| h.iter().position(|c| c == label_column.as_bytes()))
    else {
        return 0;
    };
    reader
        .byte_records()
        .map_while(std::result::Result::ok)
        .filter(|record| {
            record
                .get(index)
                .is_some_and(|l| !l.trim_ascii().is_empty())
        })
        .count()
}

/// Reads a labeled CSV. The header names the columns; `text_column` and `label_column`
/// must be among them. A UTF-8 byte-order mark and CRLF line ends are accepted.
pub fn load_labeled_csv(path: &Path, text_column: &str, label_column: &str) -> Result<LabeledData> {
    load_grouped_csv(path, text_column, label_column, None)
}

/// [`load_grouped_csv`] for several files with the same columns, their rows one after
/// another; rows repeated across files count as duplicates too.
pub fn load_grouped_csvs(
    paths: &[PathBuf],
    text_column: &str,
    label_column: &str,
    group_column: Option<&str>,
) -> Result<LabeledData> {
    let (first, rest) = paths.split_first().ok_or(Error::NoDataFiles)?;
    let mut data = read_csv(first, text_column, label_column, group_column)?;
    for path in rest {
        let more = read_csv(path, text_column, label_column, group_column)?;
        data.files.extend(more.files);
        data.texts.extend(more.texts);
        data.labels.extend(more.labels);
        data.lines.extend(more.lines);
        data.articles.extend(more.articles);
        if let (Some(groups), Some(more_groups)) = (data.groups.as_mut(), more.groups) {
            groups.extend(more_groups);
        }
    }
    data.duplicates = count_duplicates(&data.texts, &data.labels);
    Ok(data)
}

/// Rows whose text and label repeat an earlier row's.
fn count_duplicates(texts: &[String], labels: &[String]) -> usize {
    let mut seen = std::collections::HashSet::new();
    texts
        .iter()
        .zip(labels)
        .filter(|row| !seen.insert(*row))
        .count()
}

/// [`load_labeled_csv`], also keeping each row's value of `group_column` (which must be
/// present and non-empty on every row) when given.
pub fn load_grouped_csv(
    path: &Path,
    text_column: &str,
    label_column: &str,
    group_column: Option<&str>,
) -> Result<LabeledData> {
    let mut data = read_csv(path, text_column, label_column, group_column)?;
    data.duplicates = count_duplicates(&data.texts, &data.labels);
    Ok(data)
}

/// One file's checked rows, duplicates not yet counted (callers count them once over all
/// the rows they join).
fn read_csv(
    path: &Path,
    text_column: &str,
    label_column: &str,
    group_column: Option<&str>,
) -> Result<LabeledData> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => {
            return Err(Error::EmptyCsv {
                path: path.to_path_buf(),
                expected: format!("'{text_column}' and '{label_column}'"),
            })
        }
        Some(record) => record.map_err(|e| csv_error(path, e))?,
    };
    let names: Vec<String> = header
        .iter()
        .map(|field| String::from_utf8_lossy(field).trim().to_string())
        .collect();
    let column = |name: &str| {
        names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| Error::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                found: names
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                separator: match names.as_slice() {
                    [only] if only.contains(';') => Some("semicolons"),
                    [only] if only.contains('\t') => Some("tabs"),
                    _ => None,
                },
            })
    };
    let text_index = column(text_column)?;
    let label_index = column(label_column)?;
    let group_index = group_column.map(|name| column(name).map(|i| (i, name)));
    let group_index = group_index.transpose()?;
    let id_index = names.iter().position(|name| name == ID_COLUMN);

    let mut data = LabeledData {
        files: Vec::new(),
        texts: Vec::new(),
        labels: Vec::new(),
        lines: Vec::new(),
        duplicates: 0,
        groups: group_index.map(|_| Vec::new()),
        articles: Vec::new(),
    };
    // The csv crate miscounts lines with CRLF ends, so count newlines ourselves.
    let mut lines = LineCounter::new(body);
    for record in records {
        let record = record.map_err(|e| csv_error(path, e))?;
        let position = record.position().expect("byte records carry positions");
        let line = lines.line_at(position.byte() as usize);
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != names.len() {
            return Err(Error::RaggedRow {
                path: path.to_path_buf(),
                line,
                expected: names.len(),
                found: record.len(),
            });
        }
        let field = |index: usize, column: &str| -> Result<String> {
            let raw = &record[index];
            let text = std::str::from_utf8(raw).map_err(|_| Error::CsvNotUtf8 {
                path: path.to_path_buf(),
                line,
                column: column.to_string(),
            })?;
            let text = text.trim();
            if text.is_empty() {
                return Err(Error::EmptyField {
                    path: path.to_path_buf(),
                    line,
                    column: column.to_string(),
                });
            }
            Ok(text.to_string())
        };
        let text = field(text_index, text_column)?;
        let label = field(label_index, label_column)?;
        if let (Some((index, name)), Some(groups)) = (group_index, data.groups.as_mut()) {
            groups.push(field(index, name)?);
        }
        let id = id_index.and_then(|i| std::str::from_utf8(&record[i]).ok());
        data.articles
            .push(id.and_then(|id| SentenceId::parse(id.trim())));
        data.texts.push(text);
        data.labels.push(label);
        data.lines.push(line);
    }
    if data.is_empty() {
        return Err(Error::NoRows {
            path: path.to_path_buf(),
        });
    }
    data.files.push(DataFile {
        path: path.to_path_buf(),
        sha256,
        rows: data.len(),
    });
    Ok(data)
}

/// 1-based line numbers of byte offsets, asked for in increasing order.
struct LineCounter<'a> {
    body: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(body: &'a [u8]) -> Self {
        LineCounter {
            body,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: usize) -> u64 {
        // After a CRLF the csv crate reports the record as starting on the LF.
        let byte = if self.body.get(byte) == Some(&b'\n') {
            byte + 1
        } else {
            byte.min(self.body.len())
        };
        if byte > self.offset {
            self.line += self.body[self.offset..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.offset = byte;
        }
        self.line
    }
}

fn csv_error(path: &Path, error: csv::Error) -> Error {
    let line = error.position().map(|p| p.line()).unwrap_or(0);
    match error.into_kind() {
        csv::ErrorKind::Io(source) => Error::io(path, source),
        kind => Error::BadRecord {
            path: path.to_path_buf(),
            line,
            problem: format!("{kind:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn articles_are_runs_of_rows_sharing_an_id_up_to_its_last_dash() {
        let id = |article: &str, number| {
            Some(SentenceId {
                article: article.to_string(),
                number,
            })
        };
        assert_eq!(SentenceId::parse("BF-01-007"), id("BF-01", 7));
        assert_eq!(SentenceId::parse("art1-2"), id("art1", 2));
        assert_eq!(SentenceId::parse("t0001"), None);
        assert_eq!(SentenceId::parse("-3"), None);
        assert_eq!(SentenceId::parse("art-"), None);
        // Not a sentence number after the dash: a file name of `suggest`'s ids, say.
        assert_eq!(SentenceId::parse("my-articles/one.txt#4"), None);
        assert_eq!(SentenceId::parse("art-x"), None);
        // Digits beyond what a number holds name no sentence.
        assert_eq!(SentenceId::parse("art-99999999999999999999999"), None);
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, body: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, body).unwrap();
            path
        };
        let first = write(
            "a.csv",
            "id,text,label\nx-1,a,p\nx-2,b,p\ny-1,c,q\nx-3,d,p\nlone,e,q\nz-1,f,p\n",
        );
        // The second file goes on with article z: a new file starts a new run.
        let second = write("b.csv", "text,label,id\ng,q,z-2\nh,p,z-3\n");
        // Numbers that skip rows go on; a number that does not rise starts another article
        // of the same name.
        let third = write(
            "c.csv",
            "id,text,label\nw-1,a,p\nw-3,b,p\nw-1,c,q\nw-2,d,p\nw-2,e,q\n",
        );
        let data = load_grouped_csvs(&[first, second, third], "text", "label", None).unwrap();
        assert_eq!(
            data.article_runs(),
            vec![0..2, 2..3, 3..4, 4..5, 5..6, 6..8, 8..10, 10..12, 12..13]
        );
    }

    #[test]
    fn filled_labels_are_counted_and_a_pipe_is_not_read() {
        let file = write(b"id,text,label\n1,a,pro_kremlin\n2,b,\n3,c, \n4,d,x\n");
        assert_eq!(count_filled_labels(file.path(), "label"), 2);
        assert_eq!(count_filled_labels(file.path(), "stance"), 0);
        assert_eq!(
            count_filled_labels(Path::new("no/such/file.csv"), "label"),
            0
        );
        // A named pipe with no writer would block a reader: it must not be opened.
        #[cfg(unix)]
        {
            let directory = tempfile::tempdir().unwrap();
            let pipe = crate::persist::named_pipe(directory.path());
            assert_eq!(count_filled_labels(&pipe, "label"), 0);
        }
    }

    fn write(content: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        file
    }

    #[test]
    fn reads_rows_with_quotes_bom_and_crlf() {
        let file = write(
            b"\xEF\xBB\xBFid,text,label\r\n1,\"Astana, not Moscow\",pro_independence\r\n2,\"two\nlines\",neutral_balancing\r\n",
        );
        let data = load_labeled_csv(file.path(), "text", "label").unwrap();
        assert_eq!(data.texts, vec!["Astana, not Moscow", "two\nlines"]);
        assert_eq!(data.labels, vec!["pro_independence", "neutral_balancing"]);
        assert_eq!(data.lines, vec![2, 3]);
        assert_eq!(
            data.label_set(),
            vec!["neutral_balancing", "pro_independence"]
        );
    }

    #[test]
    fn missing_column_lists_the_columns_found() {
        let file = write(b"id,sentence,label\n1,a,b\n");
        let error = load_labeled_csv(file.path(), "text", "label").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("no column named 'text'"), "{message}");
        assert!(message.contains("'id', 'sentence', 'label'"), "{message}");
    }

    #[test]
    fn empty_fields_and_ragged_rows_name_the_line() {
        let file = write(b"text,label\na,b\n,b\n");
        let message = load_labeled_csv(file.path(), "text", "label")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 3: the text column is empty"),
            "{message}"
        );
        let file = write(b"text,label\na,b\na,b,c\n");
        let message = load_labeled_csv(file.path(), "text", "label")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 3: the row has 3 fields but the header has 2"),
            "{message}"
        );
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let file = write(b"text,label\nok,a\nbad \xFF here,b\n");
        let message = load_labeled_csv(file.path(), "text", "label")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 3: the text column is not valid UTF-8"),
            "{message}"
        );
    }

    #[test]
    fn counts_duplicates() {
        let file = write(b"text,label\na,x\na,x\nb,y\n");
        let data = load_labeled_csv(file.path(), "text", "label").unwrap();
        assert_eq!(data.duplicates, 1);
        assert_eq!(data.counts(), vec![("x".into(), 2), ("y".into(), 1)]);
    }

    #[test]
    fn several_files_follow_one_another() {
        let first = write(b"text,label\na,x\nb,y\n");
        let second = write(b"id,label,text\n7,y,c\n8,x,a\n\n9,x,d\n");
        let paths = [first.path().to_path_buf(), second.path().to_path_buf()];
        let data = load_grouped_csvs(&paths, "text", "label", None).unwrap();
        assert_eq!(data.texts, vec!["a", "b", "c", "a", "d"]);
        assert_eq!(data.labels, vec!["x", "y", "y", "x", "x"]);
        assert_eq!(data.lines, vec![2, 3, 2, 3, 5]);
        assert_eq!(data.duplicates, 1, "row 'a,x' repeats across the files");
        assert_eq!(data.files.len(), 2);
        assert_eq!((data.files[0].rows, data.files[1].rows), (2, 3));
        assert_eq!(data.file_of(1), first.path());
        assert_eq!(data.file_of(2), second.path());
        let location = format!("{}:5", second.path().display());
        assert_eq!(data.location(4), location);
        let first_x = format!("{}:2", first.path().display());
        let second_x = format!("{}:3", second.path().display());
        assert_eq!(
            data.locations_of("x", 2),
            format!("{first_x}, {second_x}, …")
        );
        assert_eq!(
            data.locations_of("y", 2),
            format!(
                "{}:3, {}:2",
                first.path().display(),
                second.path().display()
            )
        );
    }

    #[test]
    fn a_bad_second_file_is_named() {
        let first = write(b"text,label\na,x\n");
        let second = write(b"text,tag\nb,y\n");
        let paths = [first.path().to_path_buf(), second.path().to_path_buf()];
        let message = load_grouped_csvs(&paths, "text", "label", None)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(&second.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains("no column named 'label'"), "{message}");
    }
}
