"""What a run of one (model, protocol) needs around its metrics: resumable state, a lock, its result.

:mod:`bench.battery` runs the metrics; :mod:`bench.run.resume` keeps the finished ones so an
interrupted run picks up where it stopped, :mod:`bench.run.lock` lets one run at a time write a
result, and :mod:`bench.run.assemble` builds the result file from the finished metrics.
"""
