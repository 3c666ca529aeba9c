"""The job system: the job table is the queue, handlers claim jobs and runners execute them."""
