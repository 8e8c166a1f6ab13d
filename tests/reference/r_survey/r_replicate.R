# Reference numbers for replicate-weight and calibrated designs (run from this folder:
# Rscript r_replicate.R). Writes replicate.csv (a seeded stratified cluster sample, 12 strata
# x 2 PSUs) and r_replicate.json:
#   replicate  svrepdesign of each type (JK1, JKn, BRR, Fay, bootstrap) from given replicate
#              multipliers (PSU-level matrices in `multipliers`), estimators and svyby;
#   as_rep     as.svrepdesign of cluster / stratified designs (JK1, JKn, lonely-PSU rules,
#              bootstrap with its replicate weights exported);
#   calib      postStratify, rake and calibrate (linear, bounded linear, raking, logit) of
#              apiclus1 / apistrat, with weights, estimates and SEs (also svytotal, svyratio
#              and svyquantile of avg.ed, which has missing values: na.rm = TRUE).
suppressMessages({library(survey); library(jsonlite)})
options(survey.lonely.psu = "fail")
set.seed(20240615)
data(api)
# iterate glm.fit to the end (it then warns it "did not converge"): R's svyglm variance uses
# the working weights of the next-to-last iteration, which epsilon = 1e-14 leaves ~1e-8 off
ctrl <- glm.control(epsilon = 1e-300, maxit = 60)

# --- the sample: 12 strata x 2 PSUs, unequal weights, NAs in y ---------------------------------
H <- 12
psu_size <- sample(10:22, 2 * H, replace = TRUE)
d <- data.frame(stratum = rep(rep(1:H, each = 2), psu_size),
                psu = rep(rep(1:2, H), psu_size))
n <- nrow(d)
d$unit <- (d$stratum - 1) * 2 + d$psu                     # PSU number 1..24
d$w <- round(runif(n, 1, 6), 3)
d$grp <- sample(c("A", "B", "C"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2))
d$size <- round(runif(n, 5, 15), 2)
d$score <- round(20 + 0.8 * d$stratum + 1.5 * d$size + (d$grp == "B") * 3 + rnorm(n, 0, 4), 2)
d$score[sample(n, 12)] <- NA
d$flag <- as.numeric(runif(n) < plogis(-1 + 0.12 * d$size))
write.csv(d, "replicate.csv", row.names = FALSE, na = "")
d <- read.csv("replicate.csv")                            # exactly what Python reads

# replicate multipliers, one row per PSU (unit), as the data owner would publish them
strata_u <- rep(1:H, each = 2); units <- 1:(2 * H)
m_brr <- brrweights(strata_u, units, compress = FALSE, only.weights = TRUE)
m_fay <- brrweights(strata_u, units, fay.rho = 0.3, compress = FALSE, only.weights = TRUE)
m_jk1 <- unclass(jk1weights(units, compress = FALSE)$repweights)
jkn <- jknweights(strata_u, units, compress = FALSE)
m_jkn <- unclass(jkn$repweights)
boot <- bootweights(strata_u, units, replicates = 30, compress = FALSE)
m_boot <- unclass(boot$repweights)
mult <- list(brr = m_brr, fay = m_fay, jk1 = m_jk1, jkn = m_jkn, boot = m_boot)
for (k in names(mult)) {
  mm <- matrix(as.numeric(mult[[k]]), nrow = 2 * H); attributes(mm) <- list(dim = dim(mm))
  mult[[k]] <- mm
}
expand <- function(mm) mm[d$unit, , drop = FALSE]

est_block <- function(m, df) {
  list(est = unname(coef(m)), se = unname(as.vector(SE(m))),
       ci = unname(as.vector(confint(m, df = df))))
}
ciprop_block <- function(des, df) {
  out <- lapply(setNames(c("logit", "mean", "beta", "xlogit", "asin"),
                         c("logit", "mean", "beta", "xlogit", "asin")), function(meth) {
    r <- svyciprop(~flag, des, method = meth)
    list(est = unname(as.vector(coef(r))), lower = unname(attr(r, "ci")[1]),
         upper = unname(attr(r, "ci")[2]))
  })
  out
}
quant_block <- function(q) {
  q <- q[[1]]
  list(quantile = unname(q[, 1]), lower = unname(q[, 2]), upper = unname(q[, 3]),
       se = unname(q[, 4]))
}
glm_block <- function(g) {  # g: a fitted svyglm
  s <- summary(g)$coefficients
  list(terms = rownames(s), coef = unname(s[, 1]), se = unname(s[, 2]), p = unname(s[, 4]),
       df = g$df.residual)
}
by_block <- function(b, des, extra = list()) {
  lev <- as.character(b[[1]])
  c(list(level = lev, est = unname(coef(b)), se = unname(SE(b)),
         degf = unname(sapply(lev, function(l) degf(des[des$variables$grp == l, ])))), extra)
}

rep_block <- function(des) {
  df <- degf(des)
  qy <- svyquantile(~score, des, quantiles = c(0.25, 0.5, 0.9), ci = TRUE, na.rm = TRUE)
  bq <- svyby(~score, ~grp, des, svyquantile, quantiles = 0.5, ci = TRUE, na.rm = TRUE,
              vartype = c("se", "ci"))
  bl <- svyby(~flag, ~grp, des, svyciprop, method = "logit", vartype = c("se", "ci"))
  r <- svyratio(~score, ~size, des, na.rm = TRUE)
  br <- svyby(~score, ~grp, des, svyratio, denominator = ~size, na.rm = TRUE)
  list(
    scale = des$scale, rscales = unname(des$rscales), degf = df,
    degf_y = degf(des[!is.na(des$variables$score), ]),
    mean_y = est_block(svymean(~score, des, na.rm = TRUE), df),
    mean_b = est_block(svymean(~flag, des), df),
    total_y = est_block(svytotal(~score, des, na.rm = TRUE), df),
    total_b = est_block(svytotal(~flag, des), df),
    ratio = list(est = unname(as.vector(coef(r))), se = unname(as.vector(SE(r)))),
    quantile_y = quant_block(qy),
    ciprop_b = ciprop_block(des),
    glm_gauss = glm_block(suppressWarnings(svyglm(score ~ size + grp, des))),
    glm_binom = glm_block(suppressWarnings(svyglm(flag ~ size, des, family = quasibinomial(), control = ctrl))),
    glm_subset = glm_block(suppressWarnings(svyglm(score ~ size, des, subset = grp == "A"))),
    by_mean_y = by_block(svyby(~score, ~grp, des, svymean, na.rm = TRUE), des),
    by_total_b = by_block(svyby(~flag, ~grp, des, svytotal), des),
    by_ratio = by_block(br, des),
    by_logit_b = by_block(bl, des, list(lower = unname(bl$ci_l), upper = unname(bl$ci_u))),
    by_quantile_y = list(level = as.character(bq$grp), est = unname(bq$score),
                         se = unname(SE(bq)), lower = unname(bq$ci_l), upper = unname(bq$ci_u),
                         degf = unname(sapply(as.character(bq$grp), function(l)
                           degf(des[des$variables$grp == l & !is.na(des$variables$score), ]))))
  )
}
short_block <- function(des) {
  df <- degf(des)
  list(scale = des$scale, rscales = unname(des$rscales), degf = df,
       mean_y = est_block(svymean(~score, des, na.rm = TRUE), df),
       total_b = est_block(svytotal(~flag, des), df),
       by_mean_y = by_block(svyby(~score, ~grp, des, svymean, na.rm = TRUE), des))
}
repdes <- function(k, type, combined = FALSE, ...) {
  rw <- expand(mult[[k]])
  if (combined) rw <- rw * d$w
  svrepdesign(data = d, repweights = rw, weights = ~w, type = type,
              combined.weights = combined, ...)
}

replicate <- list(
  JK1 = rep_block(repdes("jk1", "JK1", scale = 23 / 24, mse = TRUE)),
  JKn = rep_block(repdes("jkn", "JKn", rscales = jkn$rscales, mse = TRUE)),
  BRR = rep_block(repdes("brr", "BRR", mse = TRUE)),
  Fay = rep_block(repdes("fay", "Fay", rho = 0.3, mse = TRUE)),
  bootstrap = rep_block(repdes("boot", "bootstrap", mse = TRUE)),
  # the other choices: mse = FALSE (R's default), combined weights, bootweights' own scale
  JKn_nomse = short_block(repdes("jkn", "JKn", rscales = jkn$rscales, mse = FALSE)),
  bootstrap_nomse = short_block(repdes("boot", "bootstrap", scale = boot$scale, mse = FALSE)),
  JK1_combined = short_block(suppressWarnings(repdes("jk1", "JK1", combined = TRUE, mse = TRUE))),
  JKn_combined = short_block(repdes("jkn", "JKn", combined = TRUE, rscales = jkn$rscales,
                                    mse = TRUE))
)

# --- as.svrepdesign ----------------------------------------------------------------------------
apiclus1$sw <- as.numeric(apiclus1$sch.wide == "Yes")
apistrat$sw <- as.numeric(apistrat$sch.wide == "Yes")
as_block <- function(rd, by) {
  df <- degf(rd)
  b <- svyby(~api00, by, rd, svymean)
  q <- svyquantile(~api00, rd, quantiles = 0.5, ci = TRUE)
  r <- svyratio(~api00, ~api99, rd)
  list(scale = rd$scale, rscales = unname(rd$rscales), degf = df,
       mean_api00 = est_block(svymean(~api00, rd), df),
       total_enroll = est_block(svytotal(~enroll, rd), df),
       ratio = list(est = unname(as.vector(coef(r))), se = unname(as.vector(SE(r)))),
       quantile_api00 = quant_block(q),
       by = list(level = as.character(b[[1]]), est = unname(coef(b)), se = unname(SE(b))),
       glm = glm_block(suppressWarnings(svyglm(sw ~ api00, rd, family = quasibinomial(), control = ctrl))))
}
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus1n <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dgen <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = d)
set.seed(99)
bootdes <- as.svrepdesign(dclus1n, type = "bootstrap", replicates = 50, mse = TRUE)
as_rep <- list(
  clus1_JK1 = as_block(as.svrepdesign(dclus1, type = "JK1", mse = TRUE), ~stype),
  clus1_JK1_nofpc = as_block(as.svrepdesign(dclus1n, type = "JK1", mse = TRUE), ~stype),
  clus1_JK1_nomse = as_block(as.svrepdesign(dclus1, type = "JK1", mse = FALSE), ~stype),
  strat_JKn = as_block(as.svrepdesign(dstrat, type = "JKn", mse = TRUE), ~sch.wide),
  gen_JKn = short_block(as.svrepdesign(dgen, type = "JKn", mse = TRUE)),
  clus1_bootstrap = c(as_block(bootdes, ~stype),
                      list(psu = unname(as.character(apiclus1$dnum[!duplicated(bootdes$repweights$index)])),
                           index = bootdes$repweights$index,
                           multipliers = unname(bootdes$repweights$weights)))
)
# lonely PSUs: drop the second PSU of stratum 1
dl <- d[!(d$stratum == 1 & d$psu == 2), ]
for (rule in c("adjust", "average", "remove", "certainty")) {
  options(survey.lonely.psu = rule)
  des <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = dl)
  rd <- as.svrepdesign(des, type = "JKn", mse = TRUE)
  as_rep[[paste0("lonely_", rule)]] <- list(
    scale = rd$scale, rscales = unname(rd$rscales), degf = degf(rd),
    mean_y = est_block(svymean(~score, rd, na.rm = TRUE), degf(rd)))
}
options(survey.lonely.psu = "fail")
# a two-stage design: as.svrepdesign uses the first stage (and warns it drops the second fpc)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
rd2 <- suppressWarnings(as.svrepdesign(dclus2, type = "JK1", mse = TRUE))
b2 <- svyby(~api00, ~stype, rd2, svymean)
as_rep$clus2_JK1 <- list(scale = rd2$scale, degf = degf(rd2),
                         mean_api00 = est_block(svymean(~api00, rd2), degf(rd2)),
                         total_api99 = est_block(svytotal(~api99, rd2), degf(rd2)),
                         by = list(level = as.character(b2$stype), est = unname(coef(b2)),
                                   se = unname(SE(b2))))

# --- calibration -------------------------------------------------------------------------------
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop_awards <- as.data.frame(table(awards = apipop$awards))
pop_cross <- as.data.frame(table(stype = apipop$stype, sch.wide = apipop$sch.wide))
pop_totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
api99_total <- sum(apipop$api99)
calib_block <- function(des, by = ~sch.wide) {
  df <- degf(des)
  b <- svyby(~api00, by, des, svymean)
  ci <- svyciprop(~sw, des, method = "logit")
  list(weights = unname(weights(des)), degf = df,
       mean_api00 = est_block(svymean(~api00, des), df),
       total_enroll = est_block(svytotal(~enroll, des), df),
       mean_avg_ed = est_block(svymean(~avg.ed, des, na.rm = TRUE), df),
       prop_sw = list(est = unname(as.vector(coef(ci))), se = unname(sqrt(as.vector(attr(ci, "var")))),
                      lower = unname(attr(ci, "ci")[1]), upper = unname(attr(ci, "ci")[2])),
       by = list(level = as.character(b[[1]]), est = unname(coef(b)), se = unname(SE(b))),
       by_total = {bt <- svyby(~enroll, by, des, svytotal);
                   list(level = as.character(bt[[1]]), est = unname(coef(bt)), se = unname(SE(bt)))},
       # missing values in the analysis variable (avg.ed): na.rm = TRUE, a domain
       total_avg_ed = est_block(svytotal(~avg.ed, des, na.rm = TRUE), df),
       ratio_avg_ed_api99 = {r <- svyratio(~avg.ed, ~api99, des, na.rm = TRUE);
                             list(est = unname(as.vector(coef(r))),
                                  se = unname(as.vector(SE(r))),
                                  ci = unname(as.vector(confint(r, df = df))))},
       by_total_avg_ed = {bt <- svyby(~avg.ed, by, des, svytotal, na.rm = TRUE);
                          list(level = as.character(bt[[1]]), est = unname(coef(bt)),
                               se = unname(SE(bt)))},
       by_ratio_avg_ed_api99 = {br <- svyby(~avg.ed, by, des, svyratio, denominator = ~api99,
                                            na.rm = TRUE);
                                list(level = as.character(br[[1]]),
                                     est = unname(as.vector(coef(br))),
                                     se = unname(as.vector(SE(br))))},
       median_avg_ed = {q <- svyquantile(~avg.ed, des, 0.5, ci = TRUE, na.rm = TRUE);
                        list(est = unname(as.vector(coef(q))), se = unname(as.vector(SE(q))),
                             ci = unname(as.vector(confint(q))))},
       glm = glm_block(suppressWarnings(svyglm(api00 ~ ell + meals, des))),
       glm_binom = glm_block(suppressWarnings(svyglm(sw ~ ell, des, family = quasibinomial(), control = ctrl))))
}
lin_pop <- c(pop_totals, api99 = api99_total)
calib <- list(
  pop = list(stype = pop_types, sch.wide = pop_schwide, awards = pop_awards, cross = pop_cross,
             totals = as.list(pop_totals), api99 = api99_total),
  clus1_none = calib_block(dclus1),
  clus1_post = calib_block(postStratify(dclus1, ~stype, pop_types)),
  clus1_post_cross = calib_block(postStratify(dclus1, ~stype + sch.wide, pop_cross), ~awards),
  clus1_rake = calib_block(rake(dclus1, list(~stype, ~sch.wide), list(pop_types, pop_schwide)), ~awards),
  clus1_linear = calib_block(calibrate(dclus1, ~stype, pop_totals)),
  clus1_linear_api99 = calib_block(calibrate(dclus1, ~stype + api99, lin_pop)),
  clus1_linear_bounded = calib_block(calibrate(dclus1, ~stype + api99, lin_pop, bounds = c(0.7, 1.7))),
  clus1_raking = calib_block(calibrate(dclus1, ~stype + api99, lin_pop, calfun = "raking")),
  clus1_logit = calib_block(calibrate(dclus1, ~stype + api99, lin_pop, bounds = c(0.7, 1.7),
                                      calfun = "logit")),
  clus1_post_then_linear = calib_block(calibrate(postStratify(dclus1, ~stype, pop_types), ~api99,
                                                 c(`(Intercept)` = 6194, api99 = api99_total))),
  strat_rake = calib_block(rake(dstrat, list(~sch.wide, ~awards), list(pop_schwide, pop_awards)),
                           ~stype),
  strat_post = calib_block(postStratify(dstrat, ~awards, pop_awards), ~stype),
  strat_linear = calib_block(calibrate(dstrat, ~sch.wide + api99,
                                       c(`(Intercept)` = 6194, sch.wideYes = 5122, api99 = api99_total)),
                             ~stype)
)

out <- list(multipliers = lapply(mult, unname), jkn_rscales = jkn$rscales, boot_scale = boot$scale,
            replicate = replicate, as_rep = as_rep, calib = calib,
            meta = list(R = R.version.string, survey = as.character(packageVersion("survey"))))
writeLines(toJSON(out, digits = I(15), auto_unbox = TRUE, pretty = FALSE, na = "null"),
           "r_replicate.json")
cat("wrote r_replicate.json\n")
