# Reference numbers for the trend tests (run from this folder: Rscript r_trend.R)
# Writes trend.csv (a small stratified cluster sample over six waves) and r_trend.json.
suppressMessages({library(survey); library(jsonlite)})
options(survey.lonely.psu = "fail")
set.seed(20161)

# --- chi-squared test for trend in proportions (Fingertips' recent-trend test) ----------------
cases <- list(list(x = c(10, 15, 20, 25, 30), n = rep(100, 5)),
              list(x = c(20, 21, 25, 28, 33), n = rep(100, 5)),
              list(x = c(31, 30, 44, 38, 52), n = c(120, 95, 140, 110, 150)),
              list(x = c(60, 55, 52, 47, 40), n = c(100, 100, 90, 100, 100)))
prop_trend <- lapply(cases, function(k) {
  r <- prop.trend.test(k$x, k$n)
  list(x = k$x, n = k$n, statistic = unname(r$statistic), p_value = r$p.value)
})

# --- a survey over six waves: strata, PSUs nested in strata, unequal weights ----------------
n <- 720
d <- data.frame(s = sample(1:3, n, replace = TRUE))
d$psu <- sample(1:8, n, replace = TRUE)
d$wave <- sample(1:6, n, replace = TRUE)
d$area <- sample(c("A", "B", "C"), n, replace = TRUE)
d$w <- round(runif(n, 0.5, 3), 3)
slope <- c(A = 0.25, B = 0, C = -0.15)
eta <- -0.6 + slope[d$area] * (d$wave - 3.5) + 0.2 * (d$s - 2)
d$y <- as.numeric(runif(n) < plogis(eta))
write.csv(d, "trend.csv", row.names = FALSE)

des <- svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = d)
ctrl <- glm.control(epsilon = 1e-14, maxit = 100)
fit_block <- function(design) {
  g <- svyglm(y ~ wave, design = design, family = quasibinomial(), control = ctrl)
  s <- summary(g)$coefficients
  list(coef = unname(s[, 1]), se = unname(s[, 2]), p = unname(s[, 4]),
       df = g$df.residual)
}
linear <- list(all = fit_block(des))
for (a in c("A", "B", "C")) linear[[a]] <- fit_block(subset(des, area == a))

# wave-on-wave change: each wave minus the one before, covariance kept (svyby + svycontrast)
b <- svyby(~y, ~wave, des, svymean, covmat = TRUE)
contrasts <- lapply(2:6, function(k) { v <- rep(0, 6); v[k] <- 1; v[k - 1] <- -1; v })
change <- svycontrast(b, contrasts)
wave_change <- list(difference = unname(as.vector(coef(change))),
                    se = unname(as.vector(SE(change))))

out <- list(prop_trend = prop_trend, linear_trend = linear, wave_change = wave_change,
            meta = list(R = R.version.string, survey = as.character(packageVersion("survey"))))
writeLines(toJSON(out, digits = I(12), auto_unbox = TRUE, pretty = TRUE), "r_trend.json")
cat("wrote r_trend.json\n")
