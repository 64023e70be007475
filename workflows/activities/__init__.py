"""Activities: the workflows' only way out, one class per area whose dependencies (service
clients, a Temporal client, a notification channel) are injected. Every mutating call carries
a request id the workflow derived from its own id, so a retry never does anything twice.

The worker assembles them (workflows.worker.activities); workflows call them by method
reference (`workflow.execute_activity_method(ScoringActivities.compute_scores, ...)`), and the
registered names (`@activity.defn(name=...)`) stay those recorded histories hold.
"""
