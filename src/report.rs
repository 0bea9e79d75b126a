//! Pictures: the self-contained HTML report of classified articles and the SVG bar chart
//! of the heaviest terms per label. Inline CSS and SVG only: no scripts, nothing fetched.
//! Not classification: callers pass in what the model produced.

use std::fmt::Write as _;

use crate::explain::SentenceExplanation;
use crate::model::{Aggregate, Model};
use crate::summary::GroupSummary;

/// Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
const PALETTE: [(&str, (u8, u8, u8)); 6] = [
    ("#0072B2", (0, 114, 178)),
    ("#D55E00", (213, 94, 0)),
    ("#999999", (153, 153, 153)),
    ("#009E73", (0, 158, 115)),
    ("#CC79A7", (204, 121, 167)),
    ("#E69F00", (230, 159, 0)),
];

/// How many of a sentence's strongest terms are underlined.
const UNDERLINED_TERMS: usize = 3;

/// The colour of each label: the stance labels get fixed colours, others the palette.
fn label_colours(labels: &[String]) -> Vec<(&'static str, (u8, u8, u8))> {
    let mut next = 3;
    labels
        .iter()
        .map(|label| match label.as_str() {
            "pro_independence" => PALETTE[0],
            "pro_kremlin" => PALETTE[1],
            "neutral_balancing" => PALETTE[2],
            _ => {
                let colour = PALETTE[next % PALETTE.len()];
                next += 1;
                colour
            }
        })
        .collect()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One article as the report shows it.
pub struct ReportArticle<'a> {
    pub source: &'a str,
    pub text: &'a str,
    pub sentences: Vec<SentenceExplanation>,
    pub aggregate: Aggregate,
}

impl<'a> ReportArticle<'a> {
    /// Classifies and explains `text` with `model`.
    pub fn new(model: &Model, source: &'a str, text: &'a str) -> Self {
        let sentences = model.explain(text);
        let predictions: Vec<_> = sentences
            .iter()
            .map(|e| crate::model::SentencePrediction {
                index: e.index,
                start: e.start,
                end: e.end,
                label: e.label,
                probabilities: e.probabilities.clone(),
            })
            .collect();
        let aggregate = model.aggregate(&predictions);
        ReportArticle {
            source,
            text,
            sentences,
            aggregate,
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.5rem;border-bottom:1px solid #ccc}\
table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;vertical-align:middle}\
.legend span.swatch{display:inline-block;width:1rem;height:1rem;vertical-align:middle;margin-right:.3rem;border:1px solid #555}\
.article-text{white-space:pre-wrap;font-size:1rem}.s{border-radius:3px;padding:1px 0}\
.s u{text-decoration-thickness:2px;text-underline-offset:2px}\
.sort a{margin-right:1rem}#by-stance{display:none}#by-stance:target{display:block}#by-stance:target+#by-source{display:none}\
.figure{font-variant-numeric:tabular-nums}";

/// An article with its report section already drawn: what the report keeps of it, so the
/// sentences' explanations can be dropped as soon as each article is drawn.
pub struct RenderedArticle<'a> {
    pub source: &'a str,
    pub aggregate: Aggregate,
    /// The article's sentences as drawn, or `None` when the report shows only the overview.
    section: Option<String>,
}

impl<'a> RenderedArticle<'a> {
    /// An article of an overview-only report: its row in the overview, no sentences.
    pub fn overview_only(source: &'a str, aggregate: Aggregate) -> Self {
        RenderedArticle {
            source,
            aggregate,
            section: None,
        }
    }
}

impl<'a> ReportArticle<'a> {
    /// Draws the article's section, as number `number` of the report.
    pub fn render(&self, model: &Model, number: usize) -> RenderedArticle<'a> {
        let labels = model.labels();
        let mut section = String::with_capacity(self.text.len() * 3);
        let stance = model.stance_labels().is_some();
        article_section(
            &mut section,
            number,
            self,
            labels,
            &label_colours(labels),
            stance,
        );
        RenderedArticle {
            source: self.source,
            aggregate: self.aggregate.clone(),
            section: Some(section),
        }
    }
}

/// The whole report as one HTML document.
pub fn html_report(model: &Model, articles: &[ReportArticle]) -> String {
    let rendered: Vec<RenderedArticle> = articles
        .iter()
        .enumerate()
        .map(|(number, article)| article.render(model, number))
        .collect();
    assemble_report(model, &rendered, &[])
}

/// The whole report from articles drawn by [`ReportArticle::render`], numbered in order,
/// with a table comparing `groups` (the INPUTs, say) when there are any.
pub fn assemble_report(
    model: &Model,
    articles: &[RenderedArticle],
    groups: &[GroupSummary],
) -> String {
    let labels = model.labels();
    let colours = label_colours(labels);
    let sections: usize = articles
        .iter()
        .filter_map(|a| a.section.as_ref())
        .map(String::len)
        .sum();
    let detailed = articles.iter().any(|a| a.section.is_some());
    let mut html = String::with_capacity(sections + 2_000 * articles.len() + 10_000);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kzstance report</title><style>{STYLE}</style></head><body>\n<h1>kzstance report: {} article{}</h1>\n",
        articles.len(),
        if articles.len() == 1 { "" } else { "s" }
    );
    // A model without the stance labels (a sentiment model, say) has no stance index: the
    // report then leaves out its explanation, column and sort order.
    let stance = model.stance_labels().is_some();
    let context = model.context().is_some();
    legend(&mut html, labels, &colours, stance, detailed, context);
    if !detailed && !articles.is_empty() {
        html.push_str("<p>Overview only: the articles' sentences are left out (<code>kzstance report --overview-only</code>).</p>\n");
    }
    if !groups.is_empty() {
        group_table(&mut html, groups, labels, &colours, stance);
    }
    html.push_str("<h2 id=\"overview\">Overview</h2>\n");
    let mut by_source: Vec<usize> = (0..articles.len()).collect();
    by_source.sort_by(|&a, &b| articles[a].source.cmp(articles[b].source).then(a.cmp(&b)));
    if stance {
        html.push_str("<p class=\"sort\">Sort: <a href=\"#by-source\">by source</a><a href=\"#by-stance\">by stance index</a></p>\n");
        let mut by_stance: Vec<usize> = (0..articles.len()).collect();
        by_stance.sort_by(|&a, &b| {
            let key = |i: usize| articles[i].aggregate.stance_index.unwrap_or(0.0);
            key(a).total_cmp(&key(b)).then(a.cmp(&b))
        });
        overview(
            &mut html,
            "by-stance",
            &by_stance,
            articles,
            labels,
            &colours,
            true,
        );
    }
    overview(
        &mut html,
        "by-source",
        &by_source,
        articles,
        labels,
        &colours,
        stance,
    );
    for section in articles.iter().filter_map(|a| a.section.as_ref()) {
        html.push_str(section);
    }
    html.push_str("</body></html>\n");
    html
}

fn legend(
    html: &mut String,
    labels: &[String],
    colours: &[(&str, (u8, u8, u8))],
    stance: bool,
    detailed: bool,
    context: bool,
) {
    html.push_str("<div class=\"legend\"><p>");
    for (label, (hex, _)) in labels.iter().zip(colours) {
        let _ = write!(
            html,
            "<span class=\"legend-item\"><span class=\"swatch\" style=\"background:{hex}\"></span>{} </span>&nbsp; ",
            escape(label)
        );
    }
    html.push_str("</p><ul>");
    for label in labels {
        let meaning = match label.as_str() {
            "pro_kremlin" => {
                "alignment with, deference to or dependence on Moscow, or Moscow's own claims."
            }
            "neutral_balancing" => {
                "hedging, equidistance, the multi-vector line, or plain background with no lean."
            }
            "pro_independence" => "sovereignty, distance from Moscow, or sympathy with Ukraine.",
            _ => "a label of the model's training data.",
        };
        let _ = write!(html, "<li><b>{}</b>: {meaning}</li>", escape(label));
    }
    if stance {
        html.push_str("<li><b>Stance index</b>: the mean probability of pro_independence minus that of pro_kremlin over an article's sentences, from −1 (all pro-Kremlin) to +1 (all pro-independence).</li>");
    }
    if detailed {
        html.push_str("<li>Each sentence is tinted in its label's colour, stronger when the model is surer; hover for its probabilities. Underlined words pulled hardest toward the label.</li>");
        if context {
            html.push_str("<li>Each sentence is read in the context of the sentences around it: an unsure sentence leans toward its neighbours' labels. Hovering names the label a sentence would get read alone, where its neighbours tipped it.</li>");
        }
    }
    html.push_str("</ul></div>\n");
}

fn overview(
    html: &mut String,
    id: &str,
    order: &[usize],
    articles: &[RenderedArticle],
    labels: &[String],
    colours: &[(&str, (u8, u8, u8))],
    stance: bool,
) {
    let stance_header = if stance {
        "<th>stance index (−1 … +1)</th>"
    } else {
        ""
    };
    let _ = writeln!(
        html,
        "<div id=\"{id}\" class=\"overview\"><table><thead><tr><th>source</th><th>sentences</th>{stance_header}<th>label shares</th></tr></thead><tbody>"
    );
    for &i in order {
        let article = &articles[i];
        let aggregate = &article.aggregate;
        // Only an article whose sentences the report shows has a section to link to.
        let source = if article.section.is_some() {
            format!("<a href=\"#article-{i}\">{}</a>", escape(article.source))
        } else {
            escape(article.source)
        };
        let _ = writeln!(
            html,
            "<tr><td>{source}</td><td class=\"figure\">{}</td>{}<td>{}</td></tr>",
            aggregate.sentences,
            if stance {
                format!("<td>{}</td>", stance_svg(aggregate.stance_index))
            } else {
                String::new()
            },
            shares_svg(&aggregate.shares, labels, colours),
        );
    }
    html.push_str("</tbody></table></div>\n");
}

/// Groups of articles side by side: each group's mean stance index with its 95% interval
/// drawn as a whisker, and its mean label shares.
fn group_table(
    html: &mut String,
    groups: &[GroupSummary],
    labels: &[String],
    colours: &[(&str, (u8, u8, u8))],
    stance: bool,
) {
    let stance_header = if stance {
        "<th>mean stance index, 95% interval</th>"
    } else {
        ""
    };
    let _ = writeln!(
        html,
        "<h2 id=\"groups\">Groups</h2>\n<p>Each article counts once; the whisker is the 95% confidence interval of the group's mean stance index (Student's t over its articles).</p>\n<table><thead><tr><th>group</th><th>articles</th>{stance_header}<th>mean label shares</th></tr></thead><tbody>"
    );
    for group in groups {
        let stance_cell = if stance {
            format!(
                "<td>{}</td>",
                stance_interval_svg(group.stance_index, group.stance_interval)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"figure\">{}</td>{stance_cell}<td>{}</td></tr>",
            escape(&group.group),
            group.articles,
            shares_svg(&group.mean_shares, labels, colours),
        );
    }
    html.push_str("</tbody></table>\n");
}

/// [`stance_svg`] with the interval drawn over the bar as a whisker.
fn stance_interval_svg(stance: Option<f64>, interval: Option<(f64, f64)>) -> String {
    let bar = stance_svg(stance);
    let Some((low, high)) = interval else {
        return bar;
    };
    let x = |value: f64| 100.0 + value.clamp(-1.0, 1.0) * 100.0;
    let whisker = format!(
        "<g class=\"interval\" stroke=\"#222\" stroke-width=\"1.5\"><title>95% interval {low:+.2} to {high:+.2}</title><line x1=\"{:.1}\" y1=\"9\" x2=\"{:.1}\" y2=\"9\"/><line x1=\"{:.1}\" y1=\"5\" x2=\"{:.1}\" y2=\"13\"/><line x1=\"{:.1}\" y1=\"5\" x2=\"{:.1}\" y2=\"13\"/></g></svg>",
        x(low),
        x(high),
        x(low),
        x(low),
        x(high),
        x(high)
    );
    bar.replacen("</svg>", &whisker, 1)
}

/// A centred bar from 0 to the stance index, with the figure.
fn stance_svg(stance: Option<f64>) -> String {
    let Some(stance) = stance else {
        return "<span class=\"figure\">n/a</span>".to_string();
    };
    let (width, middle) = (200.0, 100.0);
    let end = middle + stance.clamp(-1.0, 1.0) * middle;
    let (x, w) = if end < middle {
        (end, middle - end)
    } else {
        (middle, end - middle)
    };
    let colour = if stance < 0.0 {
        PALETTE[1].0
    } else {
        PALETTE[0].0
    };
    format!(
        "<svg class=\"stance\" width=\"{}\" height=\"18\" role=\"img\" aria-label=\"stance index {stance:+.2}\"><rect x=\"0\" y=\"4\" width=\"{width}\" height=\"10\" fill=\"#eee\"/><rect x=\"{x:.1}\" y=\"4\" width=\"{w:.1}\" height=\"10\" fill=\"{colour}\"/><line x1=\"{middle}\" y1=\"0\" x2=\"{middle}\" y2=\"18\" stroke=\"#333\"/><text x=\"{}\" y=\"14\" font-size=\"12\">{stance:+.2}</text></svg>",
        width + 50.0,
        width + 6.0
    )
}

/// A stacked bar of label shares.
fn shares_svg(shares: &[f64], labels: &[String], colours: &[(&str, (u8, u8, u8))]) -> String {
    let width = 200.0;
    let mut svg = format!("<svg class=\"shares\" width=\"{width}\" height=\"18\" role=\"img\" aria-label=\"label shares\">");
    let mut x = 0.0;
    for ((share, label), (hex, _)) in shares.iter().zip(labels).zip(colours) {
        let w = share * width;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"4\" width=\"{w:.1}\" height=\"10\" fill=\"{hex}\"><title>{} {:.0}%</title></rect>",
            escape(label),
            share * 100.0
        );
        x += w;
    }
    svg.push_str("</svg>");
    svg
}

fn article_section(
    html: &mut String,
    number: usize,
    article: &ReportArticle,
    labels: &[String],
    colours: &[(&str, (u8, u8, u8))],
    stance: bool,
) {
    let aggregate = &article.aggregate;
    let stance_figure = if stance {
        let index = aggregate
            .stance_index
            .map_or("n/a".to_string(), |s| format!("{s:+.2}"));
        format!(" · stance index {index}")
    } else {
        String::new()
    };
    let _ = write!(
        html,
        "<section class=\"article\" id=\"article-{number}\"><h2>{}</h2><p class=\"figure\">{} sentences{stance_figure} · overall {}</p>\n<div class=\"article-text\">",
        escape(article.source),
        aggregate.sentences,
        aggregate
            .label
            .map_or("n/a".to_string(), |l| escape(&labels[l])),
    );
    let text = article.text;
    let mut cursor = 0;
    let floor = 1.0 / labels.len() as f64;
    for sentence in &article.sentences {
        html.push_str(&escape(&text[cursor..sentence.start]));
        let confidence = sentence.probabilities[sentence.label];
        let alpha = 0.12 + 0.55 * ((confidence - floor) / (1.0 - floor)).clamp(0.0, 1.0);
        let (r, g, b) = colours[sentence.label].1;
        let mut title: Vec<String> = labels
            .iter()
            .zip(&sentence.probabilities)
            .map(|(l, p)| format!("{l} {p:.2}"))
            .collect();
        if let Some(alone) = &sentence.alone {
            let alone_label = crate::model::argmax(alone);
            if alone_label != sentence.label {
                title.push(format!(
                    "read alone {}, tipped by the sentences around it",
                    labels[alone_label]
                ));
            }
        }
        let _ = write!(
            html,
            "<span class=\"s\" data-label=\"{}\" style=\"background:rgba({r},{g},{b},{alpha:.2})\" title=\"{}\">",
            escape(&labels[sentence.label]),
            escape(&title.join(" · "))
        );
        write_underlined(html, text, sentence);
        html.push_str("</span>");
        cursor = sentence.end;
    }
    html.push_str(&escape(&text[cursor..]));
    html.push_str("</div></section>\n");
}

/// The sentence's text with the spans of its strongest terms underlined.
fn write_underlined(html: &mut String, text: &str, sentence: &SentenceExplanation) {
    let mut spans: Vec<(usize, usize)> = sentence
        .terms
        .iter()
        .filter(|t| t.pull_toward(sentence.label) > 0.0)
        .take(UNDERLINED_TERMS)
        .flat_map(|t| t.spans.iter().copied())
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let mut cursor = sentence.start;
    for (start, end) in merged {
        html.push_str(&escape(&text[cursor..start]));
        let _ = write!(html, "<u>{}</u>", escape(&text[start..end]));
        cursor = end;
    }
    html.push_str(&escape(&text[cursor..sentence.end]));
}

/// A bar chart of the `top` heaviest features of every label, as a standalone SVG.
pub fn weights_svg(model: &Model, top: usize) -> String {
    let labels = model.labels();
    let colours = label_colours(labels);
    let vocabulary = model.tfidf().vocabulary();
    let classifier = model.classifier();
    let (row_height, panel_width, label_width, bar_width) = (16.0, 330.0, 150.0, 150.0);
    let height = 40.0 + row_height * top as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n",
        panel_width * labels.len() as f64
    );
    for (class, label) in labels.iter().enumerate() {
        let order = classifier.top_features(class, top);
        let max = order
            .first()
            .map_or(1.0, |&f| classifier.weight(f, class).abs().max(1e-9));
        let x0 = panel_width * class as f64;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{}</text>",
            x0 + 4.0,
            escape(label)
        );
        for (row, &feature) in order.iter().enumerate() {
            let weight = classifier.weight(feature, class);
            let y = 28.0 + row_height * row as f64;
            let w = (weight.max(0.0) / max) * bar_width;
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"><title>{weight:.3}</title></rect>",
                x0 + label_width - 4.0,
                y + 11.0,
                escape(&vocabulary[feature]),
                x0 + label_width,
                y + 2.0,
                row_height - 4.0,
                colours[class].0,
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::load_default;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn report_is_self_contained_and_keeps_the_text() {
        let model = load_default().unwrap();
        let text = "Moscow sent troops at <Tokayev's> request.\n\nAstana refused to recognise the annexation.";
        let article = ReportArticle::new(&model, "a&b.txt", text);
        let html = html_report(&model, &[article]);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            !html.contains("<script") && !html.contains("http://") && !html.contains("https://")
        );
        assert!(html.contains("a&amp;b.txt"));
        // The text is escaped (term underlines may sit inside it, so strip them first).
        let plain = html.replace("<u>", "").replace("</u>", "");
        assert!(plain.contains("&lt;Tokayev&#39;s&gt;"));
        assert_eq!(html.matches("class=\"s\"").count(), 2);
        assert_eq!(html.matches("<section class=\"article\"").count(), 1);
    }

    #[test]
    fn weights_svg_has_a_bar_per_feature_and_label() {
        let model = load_default().unwrap();
        let svg = weights_svg(&model, 5);
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<rect").count(), 5 * model.labels().len());
    }
}
