//! Renders JSON the way Google's legacy Places web service prints it, which is
//! JsonCpp's `StyledWriter`: keys sorted, three-space indent, `"key" : value`,
//! short arrays of scalars on one line (`[ "a", "b" ]`), everything else one
//! element per line, and a newline at the end of the document.
//!
//! Numbers print exactly as they were written upstream: the workspace builds
//! `serde_json` with `arbitrary_precision`, so a parsed `34.0689210` keeps its
//! trailing zero. Strings escape `"`, `\`, and control characters (`\b \f \n
//! \r \t` by name, the rest as `\u00xx`); non-ASCII text and `/` are written
//! as they are, which is what Google's output shows (`"http://maps..."`,
//! place names in their own script).

use std::fmt::Write as _;

use serde_json::Value;

/// JsonCpp's `rightMargin_`: an array of scalars stays on one line only while
/// it is shorter than this.
const RIGHT_MARGIN: usize = 74;

/// One level of indentation.
const INDENT: &str = "   ";

/// Renders `value` in `StyledWriter` style, ending with a newline.
pub fn to_styled_string(value: &Value) -> String {
    let mut writer = Writer {
        document: String::new(),
        indent: String::new(),
    };
    writer.write_value(value);
    writer.document.push('\n');
    writer.document
}

/// The document so far and the current indentation, as in `StyledWriter`.
struct Writer {
    /// Everything written so far.
    document: String,
    /// The indentation of the current nesting level.
    indent: String,
}

impl Writer {
    fn write_value(&mut self, value: &Value) {
        match value {
            Value::Array(items) if !items.is_empty() => self.write_array(items),
            Value::Object(map) if !map.is_empty() => {
                // serde_json's default map is already sorted, but a crate in
                // the build enabling `preserve_order` would silently change
                // that, so sort here as JsonCpp's `getMemberNames` does.
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_unstable_by(|a, b| a.0.cmp(b.0));
                self.write_with_indent("{");
                self.indent.push_str(INDENT);
                for (i, (name, child)) in members.iter().enumerate() {
                    self.write_indent();
                    write_quoted(&mut self.document, name);
                    self.document.push_str(" : ");
                    self.write_value(child);
                    if i + 1 < members.len() {
                        self.document.push(',');
                    }
                }
                self.unindent();
                self.write_with_indent("}");
            }
            leaf => write_leaf(&mut self.document, leaf),
        }
    }

    /// Writes a non-empty array.
    fn write_array(&mut self, items: &[Value]) {
        match single_line(items) {
            Some(rendered) => {
                self.document.push_str("[ ");
                self.document.push_str(&rendered.join(", "));
                self.document.push_str(" ]");
            }
            None => {
                self.write_with_indent("[");
                self.indent.push_str(INDENT);
                for (i, child) in items.iter().enumerate() {
                    self.write_indent();
                    self.write_value(child);
                    if i + 1 < items.len() {
                        self.document.push(',');
                    }
                }
                self.unindent();
                self.write_with_indent("]");
            }
        }
    }

    /// `StyledWriter::writeIndent`: start a new line at the current
    /// indentation, unless the document already ends in a space (after
    /// `" : "` or an indentation), so `"key" : {` stays on one line.
    fn write_indent(&mut self) {
        match self.document.as_bytes().last() {
            Some(b' ') => return,
            Some(b'\n') | None => {}
            Some(_) => self.document.push('\n'),
        }
        self.document.push_str(&self.indent);
    }

    fn write_with_indent(&mut self, text: &str) {
        self.write_indent();
        self.document.push_str(text);
    }

    fn unindent(&mut self) {
        let keep = self.indent.len().saturating_sub(INDENT.len());
        self.indent.truncate(keep);
    }
}

/// `StyledWriter::isMultilineArray`, inverted: the rendered elements when the
/// array fits on one line, `None` when it needs one line per element.
fn single_line(items: &[Value]) -> Option<Vec<String>> {
    if items.len() * 3 >= RIGHT_MARGIN {
        return None;
    }
    let rendered = items
        .iter()
        .map(|item| {
            is_leaf(item).then(|| {
                let mut out = String::new();
                write_leaf(&mut out, item);
                out
            })
        })
        .collect::<Option<Vec<String>>>()?;
    // "[ " + ", " between elements + " ]"
    let line_length =
        4 + (rendered.len() - 1) * 2 + rendered.iter().map(String::len).sum::<usize>();
    (line_length < RIGHT_MARGIN).then_some(rendered)
}

/// A scalar or an empty container: something written on the current line.
fn is_leaf(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => true,
    }
}

/// Writes a scalar, or an empty container as `[]` / `{}`. Callers pass
/// non-empty containers to [`Writer`] instead; given one, this still writes
/// only its empty form rather than panicking.
fn write_leaf(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // With `arbitrary_precision` this is the number's original text.
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_quoted(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// Writes `text` as a JSON string literal, escaping as described in the
/// module documentation.
fn write_quoted(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn styled(text: &str) -> String {
        to_styled_string(&serde_json::from_str(text).expect("test JSON parses"))
    }

    #[test]
    fn seed_example_shape_is_reproduced() {
        let input = r#"{"status":"OK","results":[{"vicinity":"Los Angeles",
            "types":["university","establishment"],"rating":4.5,
            "photos":[{"width":1600,"photo_reference":"CnR...4dY",
                "html_attributions":["From a Google User"],"height":1200}],
            "name":"University of California, Los Angeles",
            "geometry":{"location":{"lng":-118.445181,"lat":34.068921}}}],
            "next_page_token":"CvQ...L2E","html_attributions":[]}"#;
        let expected = r#"{
   "html_attributions" : [],
   "next_page_token" : "CvQ...L2E",
   "results" : [
      {
         "geometry" : {
            "location" : {
               "lat" : 34.068921,
               "lng" : -118.445181
            }
         },
         "name" : "University of California, Los Angeles",
         "photos" : [
            {
               "height" : 1200,
               "html_attributions" : [ "From a Google User" ],
               "photo_reference" : "CnR...4dY",
               "width" : 1600
            }
         ],
         "rating" : 4.5,
         "types" : [ "university", "establishment" ],
         "vicinity" : "Los Angeles"
      }
   ],
   "status" : "OK"
}
"#;
        assert_eq!(styled(input), expected);
    }

    #[test]
    fn short_scalar_array_is_one_line() {
        assert_eq!(
            styled(r#"{"types":["university","establishment"]}"#),
            "{\n   \"types\" : [ \"university\", \"establishment\" ]\n}\n"
        );
    }

    #[test]
    fn array_at_the_margin_goes_multi_line() {
        // 4 + 2 + 34 + 34 = 74, not below the margin.
        let a = "a".repeat(32);
        let long = json!({ "k": [a, a] });
        assert_eq!(
            to_styled_string(&long),
            format!("{{\n   \"k\" : [\n      \"{a}\",\n      \"{a}\"\n   ]\n}}\n")
        );
        // One character shorter fits on one line.
        let b = "b".repeat(31);
        assert_eq!(
            to_styled_string(&json!({ "k": [a, b] })),
            format!("{{\n   \"k\" : [ \"{a}\", \"{b}\" ]\n}}\n")
        );
    }

    #[test]
    fn array_of_many_short_items_goes_multi_line() {
        // 24 one-digit items: 4 + 23 * 2 + 24 = 74, at the margin.
        let out = to_styled_string(&json!(vec![1; 24]));
        assert!(out.starts_with("[\n   1,\n   1,\n"), "{out}");
        assert!(out.ends_with("   1\n]\n"), "{out}");
        // 23 of them: 71, one line.
        let one_line = format!("[ {} ]\n", vec!["1"; 23].join(", "));
        assert_eq!(to_styled_string(&json!(vec![1; 23])), one_line);
    }

    #[test]
    fn empty_containers_nest_inline() {
        assert_eq!(
            styled(r#"{"a":[],"b":{},"c":[[],{}],"d":{"e":[]}}"#),
            "{\n   \"a\" : [],\n   \"b\" : {},\n   \"c\" : [ [], {} ],\n   \"d\" : {\n      \"e\" : []\n   }\n}\n"
        );
        assert_eq!(styled("[]"), "[]\n");
        assert_eq!(styled("{}"), "{}\n");
    }

    #[test]
    fn array_of_arrays_puts_each_inner_array_on_its_own_line() {
        assert_eq!(styled("[[1,2],[3]]"), "[\n   [ 1, 2 ],\n   [ 3 ]\n]\n");
    }

    #[test]
    fn number_text_is_preserved() {
        let out = styled(r#"{"lat":34.0689210,"lng":-118.445181,"n":1200,"e":1.5e-7,"z":-0}"#);
        assert!(out.contains("\"lat\" : 34.0689210,"), "{out}");
        assert!(out.contains("\"lng\" : -118.445181,"), "{out}");
        assert!(out.contains("\"n\" : 1200,"), "{out}");
        assert!(out.contains("\"e\" : 1.5e-7,"), "{out}");
        assert!(out.contains("\"z\" : -0\n"), "{out}");
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_controls_only() {
        let value = json!({ "s": "a\"b\\c\u{8}\u{c}\n\r\t\u{1}\u{1f}/é 서울" });
        assert_eq!(
            to_styled_string(&value),
            "{\n   \"s\" : \"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f/é 서울\"\n}\n"
        );
        let key = json!({ "k\"ey": null, "t": true, "f": false });
        assert_eq!(
            to_styled_string(&key),
            "{\n   \"f\" : false,\n   \"k\\\"ey\" : null,\n   \"t\" : true\n}\n"
        );
    }

    #[test]
    fn top_level_scalar_is_one_line() {
        assert_eq!(styled("\"x\""), "\"x\"\n");
        assert_eq!(styled("12.50"), "12.50\n");
    }
}
