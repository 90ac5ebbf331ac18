//! Logistic regression by Newton's method (IRLS) with an optional L2 penalty.
//!
//! Fits `P(bad) = 1 / (1 + e^−(b0 + Σ bj·xj))`: the label is 1 for a bad, so a variable
//! whose higher values mean lower risk (a higher WoE) gets a negative coefficient.

/// Why a fit failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// The normal equations are singular (a constant or duplicated variable without L2).
    #[error("the variables are collinear: the regression has no unique solution")]
    Singular,
    /// Newton's method did not converge.
    #[error("the regression did not converge in {0} iterations")]
    NoConvergence(usize),
}

/// A fitted regression.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// b0.
    pub intercept: f64,
    /// bj, one per column.
    pub coefficients: Vec<f64>,
    /// Newton iterations used.
    pub iterations: usize,
}

const MAX_ITERATIONS: usize = 100;

/// Solves `a · x = b` for a symmetric positive-definite `a` (row-major, n×n) by Cholesky.
fn solve_spd(a: &mut [f64], b: &mut [f64], n: usize) -> Result<(), FitError> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 1e-12 {
            return Err(FitError::Singular);
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    Ok(())
}

/// Fits the regression of `bad` on the `columns` (each of the same length), with an L2
/// penalty `l2` on the coefficients (not the intercept).
///
/// # Errors
/// [`FitError`] when the problem is singular or does not converge.
pub fn fit(columns: &[Vec<f64>], bad: &[bool], l2: f64) -> Result<Fit, FitError> {
    let p = columns.len() + 1;
    let n = bad.len();
    let mut beta = vec![0.0; p];
    let rate = (bad.iter().filter(|b| **b).count() as f64 + 0.5) / (n as f64 + 1.0);
    beta[0] = (rate / (1.0 - rate)).ln();
    let x = |i: usize, j: usize| if j == 0 { 1.0 } else { columns[j - 1][i] };
    for iteration in 1..=MAX_ITERATIONS {
        let mut gradient = vec![0.0; p];
        let mut hessian = vec![0.0; p * p];
        for i in 0..n {
            let eta: f64 = beta[0] + (1..p).map(|j| beta[j] * columns[j - 1][i]).sum::<f64>();
            let mu = 1.0 / (1.0 + (-eta).exp());
            let w = (mu * (1.0 - mu)).max(1e-10);
            let residual = f64::from(u8::from(bad[i])) - mu;
            for j in 0..p {
                let xj = x(i, j);
                gradient[j] += xj * residual;
                for k in 0..=j {
                    hessian[j * p + k] += w * xj * x(i, k);
                }
            }
        }
        for j in 0..p {
            for k in 0..j {
                hessian[k * p + j] = hessian[j * p + k];
            }
            if j > 0 {
                hessian[j * p + j] += l2;
                gradient[j] -= l2 * beta[j];
            }
        }
        let mut step = gradient;
        solve_spd(&mut hessian, &mut step, p)?;
        let mut largest: f64 = 0.0;
        for j in 0..p {
            beta[j] += step[j];
            largest = largest.max(step[j].abs());
        }
        if largest < 1e-9 {
            return Ok(Fit {
                intercept: beta[0],
                coefficients: beta[1..].to_vec(),
                iterations: iteration,
            });
        }
    }
    Err(FitError::NoConvergence(MAX_ITERATIONS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_known_coefficients() {
        // bad with P = 1/(1+e^-(−1 + 2x)) on a deterministic grid, large n
        let mut xs = Vec::new();
        let mut bad = Vec::new();
        for i in 0..20_000 {
            let x = f64::from(i % 200) / 50.0 - 2.0;
            let p = 1.0 / (1.0 + (-(-1.0 + 2.0 * x)).exp());
            // a low-discrepancy draw instead of randomness
            let u = (f64::from(i) * 0.618_033_988_75).fract();
            xs.push(x);
            bad.push(u < p);
        }
        let f = fit(&[xs], &bad, 0.0).unwrap();
        assert!((f.intercept - -1.0).abs() < 0.1, "{f:?}");
        assert!((f.coefficients[0] - 2.0).abs() < 0.1, "{f:?}");
    }

    #[test]
    fn collinear_columns_need_l2() {
        let x: Vec<f64> = (0..100).map(|i| f64::from(i % 7)).collect();
        let bad: Vec<bool> = (0..100).map(|i| i % 3 == 0).collect();
        assert_eq!(
            fit(&[x.clone(), x.clone()], &bad, 0.0),
            Err(FitError::Singular)
        );
        let f = fit(&[x.clone(), x], &bad, 1.0).unwrap();
        assert!((f.coefficients[0] - f.coefficients[1]).abs() < 1e-9);
    }
}
