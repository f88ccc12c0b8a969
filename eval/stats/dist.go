package stats

import "math"

// normalCDF returns the standard normal cumulative distribution at x.
func normalCDF(x float64) float64 {
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// normalQuantile returns the standard normal quantile at p in (0, 1).
func normalQuantile(p float64) float64 {
	return -math.Sqrt2 * math.Erfcinv(2*p)
}

// studentTCentral returns P(|T| < t) for Student's t with nu >= 1 degrees of
// freedom, using the exact finite series for integer nu (Abramowitz & Stegun
// 26.7.3-4).
func studentTCentral(t float64, nu int) float64 {
	if t <= 0 {
		return 0
	}
	theta := math.Atan(t / math.Sqrt(float64(nu)))
	s, c := math.Sincos(theta)
	c2 := c * c
	if nu%2 == 1 {
		if nu == 1 {
			return 2 * theta / math.Pi
		}
		sum, term := c, c
		for j := 3; j <= nu-2; j += 2 {
			term *= c2 * float64(j-1) / float64(j)
			sum += term
			if term < 1e-18*sum {
				break
			}
		}
		return 2 / math.Pi * (theta + s*sum)
	}
	sum, term := 1.0, 1.0
	for j := 2; j <= nu-2; j += 2 {
		term *= c2 * float64(j-1) / float64(j)
		sum += term
		if term < 1e-18*sum {
			break
		}
	}
	return s * sum
}

// studentTQuantile returns t such that P(|T| < t) = level for Student's t
// with nu >= 1 degrees of freedom; level is in (0, 1).
func studentTQuantile(level float64, nu int) float64 {
	z := normalQuantile(0.5 + level/2)
	if nu > 200 {
		// Cornish-Fisher expansion; error below 1e-7 at this nu.
		n := float64(nu)
		z3, z5 := z*z*z, z*z*z*z*z
		return z + (z3+z)/(4*n) + (5*z5+16*z3+3*z)/(96*n*n)
	}
	lo, hi := 0.0, z
	for studentTCentral(hi, nu) < level {
		lo, hi = hi, 2*hi
	}
	for range 200 {
		mid := (lo + hi) / 2
		if mid == lo || mid == hi {
			break
		}
		if studentTCentral(mid, nu) < level {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
