# Reference numbers for multistage designs, lonely PSUs and the added estimators
# (run from this folder: Rscript r_design2.R).
# Writes apiclus2.csv (R's two-stage example), twostage.csv and lonely.csv (two-stage samples
# made here, seeded) and r_design2.json. NA and NaN are written as JSON null.
suppressMessages({library(survey); library(jsonlite)})
options(survey.lonely.psu = "fail")
set.seed(20240515)
# svyglm's variance uses glm.fit's working weights from its next-to-last iteration: run it to
# the end (60 iterations; it warns that it "did not converge") so both sides are converged
ctrl <- glm.control(epsilon = 1e-300, maxit = 60)

# --- R's two-stage cluster sample: districts, then schools within districts -------------------
data(api); data(nhanes)
a2 <- apiclus2[, c("dnum", "snum", "fpc1", "fpc2", "pw", "api00", "api99", "enroll", "ell",
                   "meals", "stype", "sch.wide", "awards")]
a2$fpc2 <- as.vector(a2$fpc2)
a2$sw <- as.numeric(a2$sch.wide == "Yes")
a2$sch.wide <- NULL
a2$f1 <- length(unique(a2$dnum)) / a2$fpc1                    # sampling fractions per stage
a2$f2 <- ave(a2$snum, a2$dnum, FUN = length) / a2$fpc2
a2$stype <- as.character(a2$stype); a2$awards <- as.character(a2$awards)
write.csv(a2, "apiclus2.csv", row.names = FALSE, na = "")
# R computes on what the tests read: the CSV files (15 significant digits), not memory
a2 <- read.csv("apiclus2.csv")

# --- a stratified two-stage sample with fpc at both stages -----------------------------------
# Strata 1-4 are ordinary; stratum 5 has one sampled PSU (lonely at stage 1); stratum 6 is a
# certainty PSU (N1 = 1). PSU 1 of stratum 2 has one SSU out of one (certainty at stage 2);
# PSU 2 of stratum 3 has one SSU out of six (lonely at stage 2). PSU and SSU labels repeat
# across strata and PSUs (nested).
frame <- data.frame(stratum = 1:6, N1 = c(20, 15, 30, 12, 4, 1), n1 = c(4, 3, 5, 3, 1, 1))
rows <- list()
for (h in frame$stratum) for (k in seq_len(frame$n1[h])) {
  N2 <- sample(3:12, 1); n2 <- sample(2:min(4, N2), 1)
  if (h == 2 && k == 1) { N2 <- 1; n2 <- 1 }
  if (h == 3 && k == 2) { N2 <- 6; n2 <- 1 }
  u <- rnorm(1, 0, 6)
  for (j in seq_len(n2)) {
    m <- sample(1:3, 1)
    rows[[length(rows) + 1]] <- data.frame(stratum = h, psu = k, ssu = j, N1 = frame$N1[h],
      N2 = N2, n1 = frame$n1[h], n2 = n2, u = u + rnorm(1, 0, 3), m = seq_len(m))
  }
}
d <- do.call(rbind, rows)
n <- nrow(d)
d$w <- round(d$N1 / d$n1 * d$N2 / d$n2 * runif(n, 0.8, 1.25), 4)   # with non-response
d$y <- round(50 + 4 * d$stratum + d$u + rnorm(n, 0, 10), 2)
d$x <- round(runif(n, 20, 80), 2)
d$b <- as.numeric(runif(n) < plogis(-0.5 + 0.3 * (d$stratum - 3) + d$u / 10))
d$grp <- sample(c("a", "b", "c"), n, replace = TRUE)
d$grp[d$stratum %in% c(1, 2) & d$grp == "c"] <- "a"             # "c" is absent from strata 1-2
d$region <- sample(c("A", "B"), n, replace = TRUE)
d$cat <- sample(c("u", "v", "w"), n, replace = TRUE)
d$cat[d$region == "A" & d$cat == "w"] <- "v"                    # no "w" in region A
d$zone <- sample(c("Z0", "Z1", "Z2", "Z3"), n, replace = TRUE)
d$y[sample(n, round(0.05 * n))] <- NA
d$b[sample(n, round(0.05 * n))] <- NA
d$b[d$zone == "Z0"] <- 0                                        # an estimate of 0 ...
d$b[d$zone == "Z1"] <- 1                                        # ... and of 1
d$u <- NULL; d$m <- NULL; d$n1 <- NULL; d$n2 <- NULL
lonely_rows <- d$stratum %in% c(5, 6) | (d$stratum == 3 & d$psu == 2)
write.csv(d, "lonely.csv", row.names = FALSE, na = "")
clean <- d[!lonely_rows, ]
# sampling fractions of the sample actually used (R: popsize = sampsize / fraction)
clean$f1 <- ave(clean$psu, clean$stratum, FUN = function(v) length(unique(v))) / clean$N1
clean$f2 <- ave(clean$ssu, clean$stratum, clean$psu, FUN = function(v) length(unique(v))) / clean$N2
write.csv(clean, "twostage.csv", row.names = FALSE, na = "")
d <- read.csv("lonely.csv"); clean <- read.csv("twostage.csv")
d$cat <- factor(d$cat); clean$cat <- factor(clean$cat)    # R keeps a factor's unused levels

# --- helpers -----------------------------------------------------------------------------------
f_ <- function(...) as.formula(paste0("~", paste(..., sep = "+")))
sub <- function(des, var, level) {
  v <- des$variables[[var]]
  des[!is.na(v) & v == level, ]
}
levels_of <- function(des, var) sort(unique(na.omit(des$variables[[var]])))
stat <- function(s, ...) list(est = unname(coef(s)), se = unname(as.vector(SE(s))), ...)

mean_total_block <- function(des, y, b, by) {
  m <- svymean(f_(y), des, na.rm = TRUE)
  p <- svymean(f_(b), des, na.rm = TRUE)
  t <- svytotal(f_(y), des, na.rm = TRUE)
  bm <- svyby(f_(y), f_(by), des, svymean, na.rm = TRUE)
  bp <- svyby(f_(b), f_(by), des, svymean, na.rm = TRUE)
  bt <- svyby(f_(y), f_(by), des, svytotal, na.rm = TRUE)
  list(degf = degf(des), weights_sum = sum(weights(des)),
       mean = stat(m), prop = stat(p),
       total = stat(t, ci_normal = unname(as.vector(confint(t))),
                    ci_t = unname(as.vector(confint(t, df = degf(des))))),
       by_mean = stat(bm, group = as.character(bm[[1]])),
       by_prop = stat(bp, group = as.character(bp[[1]])),
       by_total = stat(bt, group = as.character(bt[[1]]),
                       ci_normal = unname(as.matrix(confint(bt)))))
}

quantile_block <- function(des, y, by, probs = c(0.1, 0.25, 0.5, 0.9, 0.99)) {
  one <- function(d) {
    q <- svyquantile(f_(y), d, probs, ci = TRUE, na.rm = TRUE)[[1]]
    list(est = unname(q[, 1]), lower = unname(q[, 2]), upper = unname(q[, 3]),
         se = unname(q[, 4]))
  }
  groups <- levels_of(des, by)
  list(probs = probs, all = one(des),
       by = list(group = groups, results = lapply(groups, function(l) one(sub(des, by, l)))))
}

ratio_block <- function(des, y, x, by) {
  r <- svyratio(f_(y), f_(x), des, na.rm = TRUE)
  br <- svyby(f_(y), f_(by), des, svyratio, denominator = f_(x), na.rm = TRUE)
  list(est = unname(as.vector(coef(r))), se = unname(as.vector(SE(r))),
       ci_normal = unname(as.vector(confint(r))),
       by = stat(br, group = as.character(br[[1]])))
}

chisq_block <- function(des, r, c) {
  one <- function(s) {
    k <- svychisq(f_(r, c), des, statistic = s)
    list(statistic = unname(k$statistic), parameter = unname(k$parameter),
         p_value = unname(k$p.value))
  }
  list(F = one("F"), Chisq = one("Chisq"))
}

ttest_block <- function(des, y, g) {
  k <- svyttest(as.formula(paste(y, "~", g)), des)
  list(estimate = unname(k$estimate), statistic = unname(k$statistic),
       df = unname(k$parameter), p_value = unname(k$p.value),
       ci = unname(as.vector(k$conf.int)))
}

glm_block <- function(des, fml, family = quasibinomial()) {
  g <- suppressWarnings(svyglm(fml, design = des, family = family, control = ctrl))
  cf <- coef(g)
  s <- summary(g)$coefficients
  list(terms = names(cf), coef = unname(cf), kept = rownames(s), se = unname(s[, 2]),
       p = unname(s[, 4]), df_resid = g$df.residual)
}

ciprop_block <- function(des, b, methods = c("logit", "beta", "likelihood", "asin")) {
  lapply(setNames(methods, methods), function(meth) {
    r <- svyciprop(f_(b), des, method = meth, na.rm = TRUE)
    list(est = unname(as.vector(coef(r))), lower = unname(attr(r, "ci")[1]),
         upper = unname(attr(r, "ci")[2]))
  })
}

everything <- function(des, v) {
  c(mean_total_block(des, v$y, v$b, v$by),
    list(quantile = quantile_block(des, v$y, v$by),
         ratio = ratio_block(des, v$y, v$x, v$by),
         chisq = chisq_block(des, v$row, v$col),
         chisq_na = if (!is.null(v$row_na)) chisq_block(des, v$row_na, v$col),
         ttest = ttest_block(des, v$y, v$tgroup),
         ciprop = ciprop_block(des, v$b)))
}

out <- list()

# --- two-stage designs --------------------------------------------------------------------------
tv <- list(y = "y", b = "b", x = "x", by = "grp", row = "region", col = "cat", row_na = "b",
           tgroup = "region")
two <- list(
  pop = svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~N1 + N2, nest = TRUE, data = clean),
  frac = svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~f1 + f2, nest = TRUE, data = clean),
  weighted = svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~N1 + N2, weights = ~w,
                       nest = TRUE, data = clean),
  ultimate = svydesign(id = ~psu + ssu, strata = ~stratum, weights = ~w, nest = TRUE, data = clean))
out$twostage <- lapply(two, function(des) {
  r <- everything(des, tv)
  r$weights <- unname(weights(des))
  # svyglm on a subset (region A) in which level "w" of cat is absent: R reports NA for it
  r$glm_missing_level <- glm_block(sub(des, "region", "A"), b ~ cat + y)
  r$glm_missing_level_gaussian <- glm_block(sub(des, "region", "A"), y ~ cat + x,
                                            family = gaussian())
  # ... and a subset without the reference level "u": R's reference becomes "v"
  v <- des$variables
  r$glm_missing_reference <- glm_block(des[v$cat != "u" & v$region == "B", ], b ~ cat + y)
  r$ttest_binary <- ttest_block(des, "y", "b")
  r$by_ciprop <- lapply(c(logit = "logit", beta = "beta", likelihood = "likelihood"), function(m) {
    b <- svyby(~b, ~grp, des, svyciprop, vartype = "ci", method = m, na.rm = TRUE)
    list(group = as.character(b$grp), est = unname(coef(b)), lower = unname(b$ci_l),
         upper = unname(b$ci_u))
  })
  r
})
# svyciprop(method="likelihood") reads its limits off a spline through the profile at ~10
# points; the same profile on a fine grid (del = 0.01) is what the library solves exactly
out$likelihood_refined <- lapply(c(a = "a", b = "b", c = "c"), function(l) {
  s <- sub(two$pop, "grp", l)
  m <- svyglm(b ~ 1, s, family = quasibinomial)
  unname(plogis(as.vector(confint(m, 1, method = "likelihood", ddf = degf(s), del = 0.01,
                                  maxsteps = 400))))
})
# the issue's example: an fpc at stage 1 only (a one-stage design) is not the two-stage design
out$stage1_only_se <- as.vector(SE(svymean(~y, svydesign(id = ~psu, strata = ~stratum,
  fpc = ~N1, weights = ~w, nest = TRUE, data = clean), na.rm = TRUE)))

av <- list(y = "api00", b = "sw", x = "api99", by = "stype", row = "stype", col = "awards",
           tgroup = "awards")
a2des <- list(
  pop = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = a2),
  frac = svydesign(id = ~dnum + snum, fpc = ~f1 + f2, data = a2),
  weighted = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = a2),
  ultimate = svydesign(id = ~dnum + snum, weights = ~pw, data = a2))
out$apiclus2 <- lapply(a2des, function(des) {
  r <- everything(des, av)
  r$total_enroll <- stat(svytotal(~enroll, des, na.rm = TRUE))
  r
})

# --- one-stage designs (the data of r_ref.R) for the added estimators -------------------------
apiclus1 <- read.csv("apiclus1.csv")   # as r_ref.R wrote them, with the 0/1 outcome sw
apistrat <- read.csv("apistrat.csv")
nhanes <- read.csv("nhanes.csv")
one <- list(
  clus1 = list(svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1), av),
  strat = list(svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
               av),
  nhanes = list(svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE,
                          data = nhanes),
                list(y = "HI_CHOL", b = "HI_CHOL", x = "RIAGENDR", by = "race", row = "race",
                     col = "agecat", tgroup = "RIAGENDR")))
out$onestage <- lapply(one, function(k) everything(k[[1]], k[[2]]))

# --- lonely PSUs: every rule, whole sample and by group ----------------------------------------
lonely_designs <- list(
  nofpc = function() svydesign(id = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = d),
  fpc = function() svydesign(id = ~psu, strata = ~stratum, weights = ~w, fpc = ~N1, nest = TRUE,
                             data = d),
  twostage = function() svydesign(id = ~psu + ssu, strata = ~stratum, weights = ~w,
                                  fpc = ~N1 + N2, nest = TRUE, data = d))
out$lonely <- lapply(lonely_designs, function(make) {
  res <- lapply(setNames(nm = c("adjust", "average", "remove", "certainty", "fail")), function(rule) {
    options(survey.lonely.psu = rule)
    on.exit(options(survey.lonely.psu = "fail"))
    des <- make()
    tryCatch(suppressWarnings(c(
      mean_total_block(des, "y", "b", "grp"),
      list(glm = glm_block(sub(des, "region", "A"), b ~ y),
           quantile = quantile_block(des, "y", "grp", probs = c(0.5))))),
      error = function(e) list(error = conditionMessage(e)))
  })
  res
})

# --- estimates of 0 and 1: R's beta gives NaN; Korn-Graubard with n_eff = n, df-adjusted -----
des <- two$pop
out$boundary <- lapply(c(Z0 = "Z0", Z1 = "Z1"), function(z) {
  s <- sub(des, "zone", z)
  r <- svyciprop(~b, s, method = "beta", na.rm = TRUE)
  n <- sum(!is.na(s$variables$b))
  alpha <- 0.05
  nstar <- n * (qt(alpha / 2, nrow(s) - 1) / qt(alpha / 2, degf(s)))^2
  p <- unname(as.vector(coef(r)))
  list(est = p, r_beta = unname(attr(r, "ci")), n = n, n_rows = nrow(s), degf = degf(s),
       n_star = nstar,
       kg = c(if (p > 0) qbeta(alpha / 2, nstar * p, nstar * (1 - p) + 1) else 0,
              if (p < 1) qbeta(1 - alpha / 2, nstar * p + 1, nstar * (1 - p)) else 1))
})

# --- the arcsine interval: R does not clip, so a limit past 0 wraps round -----------------------
small <- data.frame(y = c(1, 0, 0, 0, 0, 0, 0, 0, 0), c = rep(1:3, each = 3))
sdes <- svydesign(id = ~c, data = small)
r <- svyciprop(~y, sdes, method = "asin")
m <- svymean(~y, sdes)
tq <- qt(0.975, degf(sdes))
a <- asin(sqrt(coef(m))); se_a <- SE(m) / (2 * sqrt(coef(m) * (1 - coef(m))))
out$asin_wrap <- list(data = small, est = unname(as.vector(coef(r))), r_ci = unname(attr(r, "ci")),
                      se = unname(as.vector(SE(m))), degf = degf(sdes),
                      arcsine_limits = unname(c(a - tq * se_a, a + tq * se_a)))

# --- trends on the real spacing of the waves --------------------------------------------------
dates <- as.Date(c("2016-03-01", "2016-11-15", "2017-09-01", "2018-06-15", "2019-10-01",
                   "2021-05-01"))
years <- as.numeric(dates - dates[1]) / 365.25
tr <- read.csv("trend.csv")
tr$years <- years[tr$wave]
tdes <- svydesign(id = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = tr)
fit <- function(des) {
  g <- suppressWarnings(svyglm(y ~ years, design = des, family = quasibinomial(),
                              control = ctrl))
  s <- summary(g)$coefficients
  list(coef = unname(s[, 1]), se = unname(s[, 2]), p = unname(s[, 4]), df = g$df.residual)
}
cases <- list(list(x = c(10, 15, 20, 25, 30), n = rep(100, 5)),
              list(x = c(31, 30, 44, 38, 52), n = c(120, 95, 140, 110, 150)))
out$trend <- list(
  dates = as.character(dates), years = years,
  linear = c(list(all = fit(tdes)),
             lapply(c(A = "A", B = "B", C = "C"), function(a) fit(sub(tdes, "area", a)))),
  prop_trend = lapply(cases, function(k) {
    sc <- years[2:6]
    r <- prop.trend.test(k$x, k$n, score = sc)
    list(x = k$x, n = k$n, score = sc, statistic = unname(r$statistic), p_value = r$p.value)
  }))

out$meta <- list(R = R.version.string, survey = as.character(packageVersion("survey")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "r_design2.json")
cat("wrote r_design2.json\n")
