//! Fitting the engine's decision on labelled questions, honestly: by cross-validation over
//! folds of sites, reporting each fold on the decision fitted without it.
//!
//! Every question's readings are described once by the engine (`Engine::readings`: each
//! candidate's [`Signals`] and whether its section is a right one). Then, for each trial
//! ranking ([`Fusion`]) and set of signals, and for each fold, a logistic regression is
//! fitted on the other folds' candidates, its threshold is chosen on those folds, and the
//! fold's questions are judged exactly as `Engine::answer` judges them ([`decision::judge`],
//! [`decision::choose`]). The trial with the best held-out balance of answering and
//! declining is then fitted on all folds: that is what `decision.rs` ships.
//!
//! The regression is written here rather than taken from a crate: it is a dozen weights
//! fitted by Newton's method, and the machine-learning crates that offer it bring a linear
//! algebra stack with them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::golden::{GoldenQuestion, Report};
use crate::search::decision::{self, Candidate, Model, SIGNALS};
use crate::search::fusion::Fusion;
use crate::search::{Engine, SearchError};

/// The L2 penalty of the regression: enough to keep weights finite when a signal separates
/// the training rows perfectly, too little to matter otherwise.
const L2: f64 = 1.0;
/// Newton steps; the fit converges in well under this.
const STEPS: usize = 30;

/// A question as the engine described it.
pub struct Described<'g> {
    golden: &'g GoldenQuestion,
    fold: u32,
    /// Each reading's candidates, with whether each is of a right section.
    readings: Vec<Vec<(Candidate, bool)>>,
}

impl Described<'_> {
    /// The question's fold.
    pub fn fold(&self) -> u32 {
        self.fold
    }
}

/// Describes every question with `engine`; questions without a fold are left out.
pub fn describe<'g>(
    engine: &Engine,
    questions: &'g [GoldenQuestion],
) -> Result<Vec<Described<'g>>, SearchError> {
    let passages = engine.passages();
    let mut described = Vec::new();
    for golden in questions {
        let Some(fold) = golden.fold else { continue };
        let readings = engine
            .readings(&golden.q)?
            .into_iter()
            .map(|candidates| {
                candidates
                    .into_iter()
                    .map(|candidate| {
                        let right = passages
                            .get(candidate.passage)
                            .is_some_and(|passage| golden.is_right_passage(passage));
                        (candidate, right)
                    })
                    .collect()
            })
            .collect();
        described.push(Described {
            golden,
            fold,
            readings,
        });
    }
    Ok(described)
}

/// One way of deciding to try: a ranking and the signals the model may weigh.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trial {
    /// The stage-one ranking.
    pub fusion: Fusion,
    /// Which signals the model weighs (the others get weight 0).
    pub signals: [bool; SIGNALS],
}

/// The trials cross-validation compares, each with a name for the table: the ranking's
/// weights around today's, and the signals in three growing sets (the candidate's own, then
/// its margin, then what the question looks like). By words alone, closeness of meaning is 0
/// and the ranking can only add coverage to BM25.
pub fn trials(with_meaning: bool) -> Vec<(String, Trial)> {
    let own: &[&str] = if with_meaning {
        &["words", "coverage", "passage", "wording", "alias"]
    } else {
        &["words", "coverage"]
    };
    let gaps: &[&str] = if with_meaning {
        &[
            "margin",
            "file_margin",
            "passage_gap",
            "wording_gap",
            "coverage_gap",
        ]
    } else {
        &["margin", "file_margin", "coverage_gap"]
    };
    let with_gaps: Vec<&str> = own.iter().chain(gaps).copied().collect();
    let question: Vec<&str> = with_gaps
        .iter()
        .copied()
        .chain(["unknown", "corrected", "length", "part"])
        .collect();
    let sets = [
        ("candidate", own.to_vec()),
        ("+against the others", with_gaps),
        ("+the question", question),
    ];
    let fusions: Vec<Fusion> = if with_meaning {
        [
            (0.3, 0.8, 0.15),
            (0.2, 0.8, 0.15),
            (0.4, 0.8, 0.15),
            (0.3, 1.0, 0.15),
            (0.3, 0.6, 0.15),
            (0.3, 0.8, 0.0),
            (0.3, 0.8, 0.3),
        ]
        .into_iter()
        .map(|(bm25, wording, coverage)| Fusion {
            bm25,
            wording,
            coverage,
        })
        .collect()
    } else {
        [0.0, 0.15, 0.3]
            .into_iter()
            .map(|coverage| Fusion {
                coverage,
                ..crate::search::fusion::WORDS_ONLY
            })
            .collect()
    };
    let mut trials = Vec::new();
    for fusion in &fusions {
        for (name, set) in &sets {
            trials.push((
                format!(
                    "{:.2} {:.2} {:.2}, {name}",
                    fusion.bm25, fusion.wording, fusion.coverage
                ),
                Trial {
                    fusion: *fusion,
                    signals: mask(set),
                },
            ));
        }
    }
    trials
}

/// What a trial scored on the folds it was not fitted on.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    /// The trial.
    pub trial: Trial,
    /// Held-out answers, over all folds.
    #[serde(skip)]
    pub report: Report,
    /// Each fold's held-out report, by fold.
    #[serde(skip)]
    pub folds: BTreeMap<u32, Report>,
}

impl Scored {
    /// The mean of the share of answerable questions answered right and the share of the
    /// others declined: what trials are compared on.
    pub fn balance(&self) -> f64 {
        (self.report.answerable.percent() + self.report.unanswerable.percent()) / 2.0
    }
}

/// Cross-validates `trial` over the folds of `described`.
pub fn cross_validate(described: &[Described<'_>], trial: &Trial) -> Scored {
    let folds: std::collections::BTreeSet<u32> = described.iter().map(|d| d.fold).collect();
    let mut report = Report::default();
    let mut by_fold = BTreeMap::new();
    for &fold in &folds {
        let train: Vec<&Described<'_>> = described.iter().filter(|d| d.fold != fold).collect();
        let model = fit(&train, trial);
        let mut held_out = Report::default();
        for question in described.iter().filter(|d| d.fold == fold) {
            let right = judge(question, &trial.fusion, &model);
            held_out.add(question.golden, right);
            report.add(question.golden, right);
        }
        by_fold.insert(fold, held_out);
    }
    Scored {
        trial: *trial,
        report,
        folds: by_fold,
    }
}

/// Fits `trial`'s model on `train`: the regression, then the threshold with the best balance
/// on the same questions.
pub fn fit(train: &[&Described<'_>], trial: &Trial) -> Model {
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for question in train {
        for reading in &question.readings {
            let mut ranked = ranked(reading, &trial.fusion);
            // The model judges only the best-ranked candidates: it is fitted on those.
            ranked.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
            for (candidate, right) in ranked.into_iter().take(decision::JUDGED) {
                rows.push(candidate.signals.values());
                labels.push(right);
            }
        }
    }
    let (bias, weights) = logistic(&rows, &labels, &trial.signals);
    let mut model = Model {
        bias,
        weights,
        threshold: 0.5,
    };
    model.threshold = best_threshold(train, &trial.fusion, &model);
    model
}

/// A reading's candidates scored and given margins by `fusion`.
fn ranked(reading: &[(Candidate, bool)], fusion: &Fusion) -> Vec<(Candidate, bool)> {
    let mut candidates: Vec<Candidate> = reading
        .iter()
        .map(|(candidate, _)| Candidate {
            score: fusion.score(&candidate.signals),
            ..*candidate
        })
        .collect();
    decision::compare(&mut candidates);
    candidates
        .into_iter()
        .zip(reading.iter().map(|(_, right)| *right))
        .collect()
}

/// Each reading's confidence and whether its best candidate is right.
fn bests(question: &Described<'_>, fusion: &Fusion, model: &Model) -> Vec<Option<(f32, bool)>> {
    question
        .readings
        .iter()
        .map(|reading| {
            let ranked = ranked(reading, fusion);
            let candidates: Vec<Candidate> = ranked.iter().map(|(c, _)| *c).collect();
            let judged = decision::judge(&candidates, model);
            let confidence = decision::confidence(&judged, &candidates)?;
            judged.first().map(|best| (confidence, ranked[best.at].1))
        })
        .collect()
}

/// Whether the engine, deciding with `fusion` and `model`, gets `question` right.
pub fn judge(question: &Described<'_>, fusion: &Fusion, model: &Model) -> bool {
    right(question.golden, &bests(question, fusion, model), model)
}

fn right(golden: &GoldenQuestion, bests: &[Option<(f32, bool)>], model: &Model) -> bool {
    let probabilities: Vec<Option<f32>> = bests.iter().map(|b| b.map(|(p, _)| p)).collect();
    let chosen = decision::choose(&probabilities, model);
    let (answered, best_right) = match bests.get(chosen).copied().flatten() {
        Some((probability, best_right)) => (probability >= model.threshold, best_right),
        None => (false, false),
    };
    if golden.expect_none {
        !answered
    } else {
        answered && best_right
    }
}

/// The threshold, among the probabilities seen, with the best balance of answering and
/// declining on `train`; the lowest of equals.
fn best_threshold(train: &[&Described<'_>], fusion: &Fusion, model: &Model) -> f32 {
    let bests: Vec<Vec<Option<(f32, bool)>>> =
        train.iter().map(|q| bests(q, fusion, model)).collect();
    let mut thresholds: Vec<f32> = bests.iter().flatten().flatten().map(|&(p, _)| p).collect();
    thresholds.sort_by(f32::total_cmp);
    thresholds.dedup();
    let mut best = (f64::MIN, model.threshold);
    for threshold in thresholds {
        let trial = Model {
            threshold,
            ..*model
        };
        let mut report = Report::default();
        for (question, bests) in train.iter().zip(&bests) {
            report.add(question.golden, right(question.golden, bests, &trial));
        }
        let balance = report.answerable.percent() + report.unanswerable.percent();
        if balance > best.0 {
            best = (balance, threshold);
        }
    }
    best.1
}

/// How far ranking can reach on the answerable questions, reading each whole and answering
/// all: how many have a right section first, among the first three, and among the
/// candidates at all (what no decision can go beyond).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// Answerable questions.
    pub questions: usize,
    /// With a right section first.
    pub first: usize,
    /// With one among the first three.
    pub top_three: usize,
    /// With one among the candidates.
    pub candidates: usize,
}

/// The [`Reach`] of ranking by `fusion` and then ordering by `model`.
pub fn reach(described: &[Described<'_>], fusion: &Fusion, model: &Model) -> Reach {
    let mut reach = Reach::default();
    for question in described.iter().filter(|q| !q.golden.expect_none) {
        let Some(reading) = question.readings.first() else {
            continue;
        };
        let ranked = ranked(reading, fusion);
        let candidates: Vec<Candidate> = ranked.iter().map(|(c, _)| *c).collect();
        let judged = decision::judge(&candidates, model);
        let place = judged.iter().position(|j| ranked[j.at].1);
        reach.questions += 1;
        reach.first += usize::from(place == Some(0));
        reach.top_three += usize::from(place.is_some_and(|p| p < 3));
        reach.candidates += usize::from(place.is_some());
    }
    reach
}

/// L2-regularised logistic regression by Newton's method over the `used` columns of `rows`:
/// the intercept (not penalised) and one weight per signal (0 for those not used).
pub fn logistic(
    rows: &[[f32; SIGNALS]],
    labels: &[bool],
    used: &[bool; SIGNALS],
) -> (f32, [f32; SIGNALS]) {
    let columns: Vec<usize> = (0..SIGNALS).filter(|&c| used[c]).collect();
    let width = columns.len() + 1;
    let x = |row: &[f32; SIGNALS], j: usize| -> f64 {
        if j == 0 {
            1.0
        } else {
            f64::from(row[columns[j - 1]])
        }
    };
    let mut beta = vec![0.0_f64; width];
    for _ in 0..STEPS {
        let mut gradient = vec![0.0; width];
        let mut hessian = vec![vec![0.0; width]; width];
        for (row, &label) in rows.iter().zip(labels) {
            let values: Vec<f64> = (0..width).map(|j| x(row, j)).collect();
            let z: f64 = beta.iter().zip(&values).map(|(b, v)| b * v).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let y = if label { 1.0 } else { 0.0 };
            let w = (p * (1.0 - p)).max(1e-9);
            for ((slope, curve), &vj) in gradient.iter_mut().zip(&mut hessian).zip(&values) {
                *slope += (p - y) * vj;
                for (cell, &vk) in curve.iter_mut().zip(&values) {
                    *cell += w * vj * vk;
                }
            }
        }
        // The intercept (column 0) is not penalised.
        for (j, (slope, curve)) in gradient.iter_mut().zip(&mut hessian).enumerate().skip(1) {
            *slope += L2 * beta[j];
            curve[j] += L2;
        }
        let Some(step) = solve(hessian, gradient) else {
            break;
        };
        let largest = step.iter().fold(0.0_f64, |most, s| most.max(s.abs()));
        for (b, s) in beta.iter_mut().zip(&step) {
            *b -= s;
        }
        if largest < 1e-7 {
            break;
        }
    }
    let mut weights = [0.0_f32; SIGNALS];
    for (j, &column) in columns.iter().enumerate() {
        weights[column] = beta[j + 1] as f32;
    }
    (beta[0] as f32, weights)
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` if `a` is singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (above, below) = a.split_at_mut(col + 1);
        let pivot_row = &above[col];
        for (offset, row) in below.iter_mut().enumerate() {
            let factor = row[col] / pivot_row[col];
            for (cell, &top) in row.iter_mut().zip(pivot_row).skip(col) {
                *cell -= factor * top;
            }
            b[col + 1 + offset] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let sum: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - sum) / a[row][row];
    }
    Some(x)
}

/// The signals of `names` as a mask over [`decision::SIGNAL_NAMES`].
pub fn mask(names: &[&str]) -> [bool; SIGNALS] {
    let mut used = [false; SIGNALS];
    for (slot, name) in used.iter_mut().zip(decision::SIGNAL_NAMES) {
        *slot = names.contains(&name);
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::decision::Signals;

    #[test]
    fn the_regression_finds_the_signal_that_separates() {
        // Coverage decides; words is noise.
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200 {
            let coverage = (i % 20) as f32 / 20.0;
            let noise = ((i * 7) % 13) as f32 / 13.0;
            let mut row = [0.0; SIGNALS];
            row[0] = noise;
            row[1] = coverage;
            rows.push(row);
            labels.push(coverage + 0.1 * noise > 0.5);
        }
        let (bias, weights) = logistic(&rows, &labels, &mask(&["words", "coverage"]));
        assert!(weights[1] > 5.0, "{weights:?}");
        assert!(weights[1] > 3.0 * weights[0].abs(), "{weights:?}");
        assert!(bias < 0.0);
        assert!(weights[2..].iter().all(|&w| w == 0.0));
        let model = Model {
            bias,
            weights,
            threshold: 0.5,
        };
        let high = Signals {
            words: 0.5,
            coverage: 0.9,
            ..Signals::default()
        };
        let low = Signals {
            coverage: 0.1,
            ..high
        };
        assert!(model.probability(&high) > 0.9 && model.probability(&low) < 0.1);
    }

    #[test]
    fn gaussian_elimination_solves_and_refuses_a_singular_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap_or_default();
        assert!(
            (x[0] - 0.8).abs() < 1e-9 && (x[1] - 1.4).abs() < 1e-9,
            "{x:?}"
        );
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }
}
