//! Which candidate answers a question, and whether any does: a small logistic model over
//! named signals, fitted on members' questions nobody on the team wrote.
//!
//! Every candidate passage of a reading of the question is described by the same few
//! [`Signals`] (BM25 relative to the best, weighted coverage, closeness of meaning to the
//! passage, to its section's wordings and to its file's aliases, its leads over the other
//! sections, and what the question itself looks like: words the knowledge never uses,
//! corrected typos, length, whether it is one sentence of a longer message). A [`Model`]
//! turns them into the probability that the passage belongs to a section that answers the
//! question. The [`JUDGED`] best-ranked candidates are ordered by that probability (learning
//! to rank, pointwise), and the question is answered when the sections an answer shows
//! together reach the model's threshold ([`confidence`]: answerability); otherwise the bot
//! says it does not know.
//!
//! The weights are fitted by `faqbot eval tests/members/questions.jsonl --cross-validate`
//! (logistic regression, see `eval::fit`) and judged on folds of sites the fit never saw.
//! What was tried, on 2026-12-05 (950 questions, 633 with an answer in the bundled
//! knowledge, 317 without; 5 folds by site; each row is the held-out folds' total; the
//! rules of before were not fitted on these questions at all):
//!
//! | decision | answerable, answered right | the others, declined | balance |
//! |----------|----------------------------|----------------------|---------|
//! | before: coverage >= 0.5 and meaning >= 0.25, or meaning >= 0.55 and unknown <= 0.5 (set on the team's own 110 questions) | 386 (61.0%) | 201 (63.4%) | 62.2% |
//! | before, by words alone: coverage >= 0.5 | 288 (45.5%) | 228 (71.9%) | 58.7% |
//! | logistic, the candidate's own signals (words, coverage, passage, wording, alias) | 305 (48.2%) | 275 (86.8%) | 67.5% |
//! | + its leads over the other sections and files | 385 (60.8%) | 252 (79.5%) | 70.2% |
//! | **+ the question's signals (unknown, corrected, length, part)** | **361 (57.0%)** | **277 (87.4%)** | **72.2%** |
//! | the same, answered on the best section's probability alone, not the shown three's sum | 407 (64.3%) | 247 (77.9%) | 71.1% |
//! | the same, threshold for the most right answers rather than the best balance | 413 (65.2%) | 224 (70.7%) | 68.0% |
//! | the same plus "every idea covered" (coverage = 1) as a signal | 357 (56.4%) | 274 (86.4%) | 71.4% |
//! | by words alone, all signals without meaning (BM25 and 0.15 coverage in the ranking) | 290 (45.8%) | 268 (84.5%) | 65.2% |
//!
//! On an earlier labelling (before a third reading added the sibling sections that also
//! answer), two more designs lost: a threshold that kept every kind at words alone's on the
//! training folds (balance 68.3% against 72.1%), and gradient-boosted trees of depth 2 and 3
//! instead of the logistic model (tried in Python: 68.7% and 68.9% against 69.4% for the
//! same signals).
//!
//! The ranking weights (`fusion.rs`) were tried at the same time, 7 settings for each row;
//! within a row they move the balance by at most 0.9 points, so their choice is noise the
//! table does not claim. Balance (the mean of the two shares) is what thresholds and rows
//! are chosen on: a clinic's share of questions it cannot answer is unknown, and an
//! unrelated answer costs a member's trust as much as a missed one. The leading
//! candidate's section is right for 479 of the 633 (76%) and among the first three for 562
//! (89%): the ceiling of any threshold over this ranking.

use serde::Serialize;

/// How many signals describe a candidate.
pub const SIGNALS: usize = 14;

/// The names of the signals, in the order of [`Signals::values`].
pub const SIGNAL_NAMES: [&str; SIGNALS] = [
    "words",
    "coverage",
    "passage",
    "wording",
    "alias",
    "margin",
    "file_margin",
    "passage_gap",
    "wording_gap",
    "coverage_gap",
    "unknown",
    "corrected",
    "length",
    "part",
];

/// What the engine knows about one candidate passage for one reading of a question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Signals {
    /// Its BM25 score (with the closeness bonus) relative to the best candidate's: 0 to 1.
    pub words: f32,
    /// The share of the question's weighted ideas it contains: 0 to 1.
    pub coverage: f32,
    /// Closeness of meaning (cosine) of the question to its whole text; 0 without a model.
    pub passage: f32,
    /// Closeness of meaning to the closest of its section's wordings (heading, members'
    /// questions); 0 without a model or wordings.
    pub wording: f32,
    /// Closeness of meaning to the closest of its file's aliases: which file answers, not
    /// which of its sections.
    pub alias: f32,
    /// Its ranking score minus the best ranking score of a candidate from another section:
    /// positive only for the leading section, and larger the clearer its lead.
    pub margin: f32,
    /// The same lead over the best candidate from another file: sections of one file are
    /// often close to each other, and a lead over a neighbour says less than one over
    /// another topic.
    pub file_margin: f32,
    /// Its closeness to the whole text minus the best of another section's.
    pub passage_gap: f32,
    /// Its section's wording closeness minus the best of another section's.
    pub wording_gap: f32,
    /// Its coverage minus the best of another section's.
    pub coverage_gap: f32,
    /// The weighted share of the question's ideas that no passage uses ("dentist").
    pub unknown: f32,
    /// The weighted share of the question's ideas read through a corrected misspelling.
    pub corrected: f32,
    /// The natural logarithm of one plus the number of the question's ideas.
    pub length: f32,
    /// 1 when the reading is one sentence of a longer message, else 0.
    pub part: f32,
}

impl Signals {
    /// The signals as numbers, in the order of [`SIGNAL_NAMES`].
    pub fn values(&self) -> [f32; SIGNALS] {
        [
            self.words,
            self.coverage,
            self.passage,
            self.wording,
            self.alias,
            self.margin,
            self.file_margin,
            self.passage_gap,
            self.wording_gap,
            self.coverage_gap,
            self.unknown,
            self.corrected,
            self.length,
            self.part,
        ]
    }
}

/// A fitted decision: logistic weights over [`Signals`] and the probability a best candidate
/// needs to be given as an answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Model {
    /// The intercept.
    pub bias: f32,
    /// One weight per signal, in the order of [`SIGNAL_NAMES`].
    pub weights: [f32; SIGNALS],
    /// The least probability at which the best candidate answers.
    pub threshold: f32,
}

impl Model {
    /// The probability that a candidate with `signals` belongs to a section that answers.
    pub fn probability(&self, signals: &Signals) -> f32 {
        let z = self
            .weights
            .iter()
            .zip(signals.values())
            .fold(self.bias, |sum, (weight, value)| sum + weight * value);
        1.0 / (1.0 + (-z).exp())
    }
}

/// The decision with the sentence-embedding model: fitted on every fold of
/// `tests/members/questions.jsonl` on 2026-12-05 (the bold row of the module's table).
// Fitted numbers: one may happen to sit near a constant such as 2/π.
#[allow(clippy::approx_constant)]
pub const WITH_MEANING: Model = Model {
    bias: -3.8897,
    weights: [
        -0.4633, // words
        1.5085,  // coverage
        2.2870,  // passage
        0.6774,  // wording
        0.0850,  // alias
        1.6001,  // margin
        1.1734,  // file_margin
        6.3084,  // passage_gap
        3.2654,  // wording_gap
        0.1484,  // coverage_gap
        -0.7358, // unknown
        2.1473,  // corrected
        0.6313,  // length
        -0.0958, // part
    ],
    threshold: 0.8079,
};

/// The decision by words alone (no model loaded, or `--words-only`): the same signals with
/// closeness of meaning at 0, fitted the same way (the last row of the module's table).
#[allow(clippy::approx_constant)]
pub const WORDS_ONLY: Model = Model {
    bias: -5.1954,
    weights: [
        -0.0980, // words
        2.9642,  // coverage
        0.0000,  // passage
        0.0000,  // wording
        0.0000,  // alias
        2.0324,  // margin
        0.8596,  // file_margin
        0.0000,  // passage_gap
        0.0000,  // wording_gap
        -0.2455, // coverage_gap
        -0.4327, // unknown
        2.9155,  // corrected
        1.3891,  // length
        -0.4139, // part
    ],
    threshold: 0.6738,
};

/// One candidate of a reading, as ranking found it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Its position in the engine's passage list.
    pub passage: usize,
    /// Its section: candidates of one section share it (a long section is several passages).
    pub section: u32,
    /// Its knowledge file.
    pub file: u32,
    /// Its stage-one ranking score (see `fusion::Fusion`).
    pub score: f32,
    /// Its signals, the margin included.
    pub signals: Signals,
}

/// A candidate judged: its place among the reading's candidates and its probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    /// Index into the reading's candidates.
    pub at: usize,
    /// The model's probability that it answers.
    pub probability: f32,
}

/// Sets what each candidate's signals say relative to the others: its leads in ranking score
/// over the best candidate of another section and of another file, and its leads in
/// closeness and coverage over the best of another section.
pub fn compare(candidates: &mut [Candidate]) {
    let section = |c: &Candidate| c.section;
    let margin = leads(candidates, section, |c| c.score);
    let file_margin = leads(candidates, |c| c.file, |c| c.score);
    let passage = leads(candidates, section, |c| c.signals.passage);
    let wording = leads(candidates, section, |c| c.signals.wording);
    let coverage = leads(candidates, section, |c| c.signals.coverage);
    for (at, candidate) in candidates.iter_mut().enumerate() {
        let signals = &mut candidate.signals;
        signals.margin = margin[at];
        signals.file_margin = file_margin[at];
        signals.passage_gap = passage[at];
        signals.wording_gap = wording[at];
        signals.coverage_gap = coverage[at];
    }
}

/// Each candidate's `value` minus the best value of a candidate in another group by `group`
/// (its whole value when there is none).
fn leads(
    candidates: &[Candidate],
    group: impl Fn(&Candidate) -> u32,
    value: impl Fn(&Candidate) -> f32,
) -> Vec<f32> {
    // The best two groups' scores are enough: the best other group of any candidate is the
    // best group, or the runner-up when it is the best itself.
    let mut best: Option<(u32, f32)> = None;
    let mut second: Option<f32> = None;
    for candidate in candidates {
        let (own, score) = (group(candidate), value(candidate));
        match best {
            Some((leader, top)) if leader == own => {
                if score > top {
                    best = Some((leader, score));
                }
            }
            Some((_, top)) if score > top => {
                second = Some(top);
                best = Some((own, score));
            }
            Some(_) => {
                if second.is_none_or(|second| score > second) {
                    second = Some(score);
                }
            }
            None => best = Some((own, score)),
        }
    }
    candidates
        .iter()
        .map(|candidate| {
            let other = match best {
                Some((leader, top)) if leader != group(candidate) => Some(top),
                _ => second,
            };
            value(candidate) - other.unwrap_or(0.0)
        })
        .collect()
}

/// How many of the best-ranked candidates the model judges: one ranked lower is almost never
/// the answer, and judging it would only let the model's errors promote it.
pub const JUDGED: usize = 10;

/// The [`JUDGED`] best-ranked candidates in the model's order: the section with the most
/// probable passage first, each section's passages in file order.
pub fn judge(candidates: &[Candidate], model: &Model) -> Vec<Judged> {
    let mut ranked: Vec<usize> = (0..candidates.len()).collect();
    ranked.sort_by(|&a, &b| candidates[b].score.total_cmp(&candidates[a].score));
    let mut judged: Vec<Judged> = ranked
        .into_iter()
        .take(JUDGED)
        .map(|at| Judged {
            at,
            probability: model.probability(&candidates[at].signals),
        })
        .collect();
    // Sections in the order of their most probable passage; a section's passages in the
    // order they are written, so an answer starts where its section starts (labels name
    // sections, so the model cannot tell a section's opening from its continuation).
    let best_of = |section: u32| {
        judged
            .iter()
            .filter(|j| candidates[j.at].section == section)
            .map(|j| j.probability)
            .fold(0.0_f32, f32::max)
    };
    let mut keyed: Vec<(f32, Judged)> = judged
        .iter()
        .map(|j| (best_of(candidates[j.at].section), *j))
        .collect();
    keyed.sort_by(|(a_best, a), (b_best, b)| {
        let (a_candidate, b_candidate) = (&candidates[a.at], &candidates[b.at]);
        b_best
            .total_cmp(a_best)
            .then(a_candidate.section.cmp(&b_candidate.section))
            .then(a_candidate.passage.cmp(&b_candidate.passage))
    });
    judged = keyed.into_iter().map(|(_, j)| j).collect();
    judged
}

/// How many sections an answer shows (the best, and the others as "also relevant"), and so
/// how many the confidence of an answer adds up.
pub const SHOWN: usize = 3;

/// How likely it is that one of the sections an answer shows answers the question: the sum
/// of the probabilities of the first [`SHOWN`] sections of `judged` (in [`judge`]'s order),
/// at most 1; `None` without candidates. A question several sections cover alike ("does
/// massage improve circulation") splits its probability between them, yet is answered.
pub fn confidence(judged: &[Judged], candidates: &[Candidate]) -> Option<f32> {
    // Each section's most probable passage, in `judged`'s order of sections.
    let mut sections: Vec<(u32, f32)> = Vec::with_capacity(SHOWN);
    for judged in judged {
        let section = candidates[judged.at].section;
        match sections.iter().position(|(seen, _)| *seen == section) {
            Some(at) => sections[at].1 = sections[at].1.max(judged.probability),
            None if sections.len() < SHOWN => sections.push((section, judged.probability)),
            None => {}
        }
    }
    let sum: f32 = sections.iter().map(|(_, p)| p).sum();
    (!sections.is_empty()).then_some(sum.min(1.0))
}

/// Whether a reading with this [`confidence`] is answered.
pub fn answers(confidence: Option<f32>, model: &Model) -> bool {
    confidence.is_some_and(|confidence| confidence >= model.threshold)
}

/// Which reading of a message to answer from, given each reading's best probability (the
/// whole message first, then its sentences) and the model: the whole when it answers, else
/// the sentence that answers with the highest probability, else the whole (whose near misses
/// are shown). The engine reads sentences only when the whole does not answer, which gives
/// the same choice.
pub fn choose(best: &[Option<f32>], model: &Model) -> usize {
    let answers = |p: &Option<f32>| answers(*p, model);
    if best.first().is_none_or(answers) {
        return 0;
    }
    best.iter()
        .enumerate()
        .skip(1)
        .filter(|(_, p)| answers(p))
        .max_by(|a, b| a.1.unwrap_or(0.0).total_cmp(&b.1.unwrap_or(0.0)))
        .map_or(0, |(at, _)| at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(section: u32, score: f32) -> Candidate {
        Candidate {
            passage: 0,
            section,
            file: section / 10,
            score,
            signals: Signals::default(),
        }
    }

    #[test]
    fn margins_are_leads_over_the_best_other_section() {
        let mut candidates = [
            candidate(1, 0.9),
            candidate(1, 0.8),
            candidate(2, 0.6),
            candidate(3, 0.5),
        ];
        compare(&mut candidates);
        let margins: Vec<f32> = candidates.iter().map(|c| c.signals.margin).collect();
        let expected = [0.3, 0.2, -0.3, -0.4];
        for (got, want) in margins.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{margins:?}");
        }
        let mut alone = [candidate(4, 0.7), candidate(4, 0.2)];
        compare(&mut alone);
        assert!((alone[0].signals.margin - 0.7).abs() < 1e-6);
    }

    #[test]
    fn the_most_probable_candidate_comes_first_and_answers_at_the_threshold() {
        let model = Model {
            bias: -1.0,
            weights: {
                let mut weights = [0.0; SIGNALS];
                weights[1] = 2.0;
                weights
            },
            threshold: 0.5,
        };
        let mut low = candidate(1, 1.0);
        low.signals.coverage = 0.2;
        let mut high = candidate(2, 0.5);
        high.signals.coverage = 0.6;
        let judged = judge(&[low, high], &model);
        assert_eq!(judged[0].at, 1);
        let both = [low, high];
        assert!(answers(confidence(&judged, &both), &model));
        let alone = [low];
        assert!(!answers(confidence(&judge(&alone, &model), &alone), &model));
        assert!(!answers(None, &model));
    }

    #[test]
    fn a_section_is_shown_from_its_first_passage_and_counted_once() {
        let model = Model {
            bias: 0.0,
            weights: {
                let mut weights = [0.0; SIGNALS];
                weights[1] = 1.0;
                weights
            },
            threshold: 0.5,
        };
        let passage = |passage: usize, section: u32, coverage: f32| Candidate {
            passage,
            section,
            file: 0,
            score: 1.0,
            signals: Signals {
                coverage,
                ..Signals::default()
            },
        };
        // The section's second passage is the most probable, its first less so.
        let candidates = [passage(7, 2, 0.2), passage(3, 1, 0.5), passage(4, 1, 0.9)];
        let judged = judge(&candidates, &model);
        let order: Vec<usize> = judged.iter().map(|j| candidates[j.at].passage).collect();
        assert_eq!(order, vec![3, 4, 7]);
        let both =
            model.probability(&candidates[2].signals) + model.probability(&candidates[0].signals);
        let sum = confidence(&judged, &candidates).unwrap_or_default();
        assert!((sum - both.min(1.0)).abs() < 1e-6, "{sum} {both}");
    }

    #[test]
    fn a_sentence_is_chosen_only_when_the_whole_does_not_answer() {
        let model = Model {
            bias: 0.0,
            weights: [0.0; SIGNALS],
            threshold: 0.5,
        };
        assert_eq!(choose(&[Some(0.6), Some(0.9)], &model), 0);
        assert_eq!(
            choose(&[Some(0.2), Some(0.4), Some(0.7), Some(0.6)], &model),
            2
        );
        assert_eq!(choose(&[Some(0.2), Some(0.4)], &model), 0);
        assert_eq!(choose(&[None, Some(0.8)], &model), 1);
        assert_eq!(choose(&[], &model), 0);
    }
}
