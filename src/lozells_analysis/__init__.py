"""lozells-analysis: design-based survey statistics and reports for the Local Conversations
evaluation.

``import lozells_analysis as la`` gives what a researcher needs (listed in ``__all__`` and in
``docs/api.md``); the subpackages hold the rest, in the order the data travels:

- :mod:`lozells_analysis.data`: the codebook, loading and validating exports, the synthetic
  data set, published comparators, coded qualitative data;
- :mod:`lozells_analysis.stats`: the survey design and its estimators, comparisons, trends,
  scales, disclosure control;
- :mod:`lozells_analysis.present`: tables, plots and sentences for a reader;
- :mod:`lozells_analysis.reports`: the pipeline that builds the reports (``lozells build``).

Every estimate comes back as one tidy frame: the group columns, then ``variable, estimate,
se, lower_ci, upper_ci, level, method, n, df`` and what the function adds. Proportions are
0-1; percentages are made only when presenting.

Names are imported on first use, so ``import lozells_analysis`` stays quick.

Examples
--------
>>> import lozells_analysis as la
>>> survey = la.synthetic.generate(n=600, seed=1)
>>> design = la.SurveyDesign(survey, weights="weight", strata="neighbourhood")
>>> list(design.proportion("change_area_run").columns[:5])
['variable', 'estimate', 'se', 'lower_ci', 'upper_ci']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> (module, attribute); attribute None means the module itself
_API: dict[str, tuple[str, str | None]] = {
    # data in
    "load_survey": ("lozells_analysis.data.load", "load_survey"),
    "load_codebook": ("lozells_analysis.data.codebook", "load_codebook"),
    "load_coding_frame": ("lozells_analysis.data.qualitative", "load_coding_frame"),
    "synthetic": ("lozells_analysis.data.synthetic", None),
    # statistics
    "SurveyDesign": ("lozells_analysis.stats.design", "SurveyDesign"),
    "ReplicateDesign": ("lozells_analysis.stats.replicate", "ReplicateDesign"),
    "compare_with_benchmark": ("lozells_analysis.stats.compare", "compare_with_benchmark"),
    "group_differences": ("lozells_analysis.stats.compare", "group_differences"),
    "trend": ("lozells_analysis.stats.trends", "linear_trend"),
    "wave_change": ("lozells_analysis.stats.trends", "wave_change"),
    "fingertips_trend": ("lozells_analysis.stats.trends", "fingertips_trend"),
    "scale_scores": ("lozells_analysis.stats.scales", "collective_control"),
    "cronbach_alpha": ("lozells_analysis.stats.scales", "cronbach_alpha"),
    "suppress": ("lozells_analysis.stats.disclosure", "suppress"),
    "flag_reliability": ("lozells_analysis.stats.disclosure", "flag_reliability"),
    "redact": ("lozells_analysis.stats.disclosure", "redact"),
    # the report pipeline
    "build_reports": ("lozells_analysis.reports.build", "build_reports"),
    # errors
    "LozellsError": ("lozells_analysis.exceptions", "LozellsError"),
    "SurveyDataError": ("lozells_analysis.exceptions", "SurveyDataError"),
    "DesignError": ("lozells_analysis.exceptions", "DesignError"),
    "ParameterError": ("lozells_analysis.exceptions", "ParameterError"),
}

__all__ = [
    "__version__",
    "load_survey",
    "load_codebook",
    "load_coding_frame",
    "synthetic",
    "SurveyDesign",
    "ReplicateDesign",
    "compare_with_benchmark",
    "group_differences",
    "trend",
    "wave_change",
    "fingertips_trend",
    "scale_scores",
    "cronbach_alpha",
    "suppress",
    "flag_reliability",
    "redact",
    "build_reports",
    "LozellsError",
    "SurveyDataError",
    "DesignError",
    "ParameterError",
]

if TYPE_CHECKING:  # what static tools and IDEs see; at run time names load on first use
    from lozells_analysis.data import synthetic as synthetic
    from lozells_analysis.data.codebook import load_codebook as load_codebook
    from lozells_analysis.data.load import load_survey as load_survey
    from lozells_analysis.data.qualitative import load_coding_frame as load_coding_frame
    from lozells_analysis.exceptions import DesignError as DesignError
    from lozells_analysis.exceptions import LozellsError as LozellsError
    from lozells_analysis.exceptions import ParameterError as ParameterError
    from lozells_analysis.exceptions import SurveyDataError as SurveyDataError
    from lozells_analysis.reports.build import build_reports as build_reports
    from lozells_analysis.stats.compare import compare_with_benchmark as compare_with_benchmark
    from lozells_analysis.stats.compare import group_differences as group_differences
    from lozells_analysis.stats.design import SurveyDesign as SurveyDesign
    from lozells_analysis.stats.disclosure import flag_reliability as flag_reliability
    from lozells_analysis.stats.disclosure import redact as redact
    from lozells_analysis.stats.disclosure import suppress as suppress
    from lozells_analysis.stats.replicate import ReplicateDesign as ReplicateDesign
    from lozells_analysis.stats.scales import collective_control as scale_scores
    from lozells_analysis.stats.scales import cronbach_alpha as cronbach_alpha
    from lozells_analysis.stats.trends import fingertips_trend as fingertips_trend
    from lozells_analysis.stats.trends import linear_trend as trend
    from lozells_analysis.stats.trends import wave_change as wave_change


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module 'lozells_analysis' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
