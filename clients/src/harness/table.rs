//! The markdown table a report ends with, to paste into the README: a
//! header and rows with as many cells, each row a measurement.

use std::fmt;

/// A markdown table of `N` columns.
#[derive(Debug, Clone)]
pub struct Table<const N: usize> {
    /// The column titles.
    header: [&'static str; N],
    /// The rows, in order.
    rows: Vec<[String; N]>,
}

impl<const N: usize> Table<N> {
    /// An empty table under `header`.
    pub fn new(header: [&'static str; N]) -> Self {
        Self {
            header,
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: [String; N]) {
        self.rows.push(cells);
    }
}

impl<const N: usize> fmt::Display for Table<N> {
    /// `| a | b |`, the `|---|---|` line, and one line per row; a `|` in a
    /// cell is escaped so it cannot split the cell.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| {} |", self.header.join(" | "))?;
        writeln!(f, "|{}", "---|".repeat(N))?;
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
            writeln!(f, "| {} |", cells.join(" | "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_render_under_the_header_with_pipes_escaped() {
        let mut table = Table::new(["Measurement", "Value"]);
        table.row(["a".into(), "1 | 2".into()]);
        table.row(["b".into(), String::new()]);
        assert_eq!(
            table.to_string(),
            "| Measurement | Value |\n|---|---|\n| a | 1 \\| 2 |\n| b |  |\n"
        );
    }
}
