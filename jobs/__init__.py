"""The job queue and its runners: what queues, runs, keeps and hands out a job's results.

Above storage (the jobs table is the queue) and the engine (the work is the render pipeline), below the bot,
which depends only on the `jobs.queue.JobQueue` protocol and the typed events of `jobs.events`:

    jobs.queue          JobQueue: start, stop, submit, cancel, position, subscribe, workers (the bot's only view)
    jobs.events         StateChanged, PositionChanged, StageStarted, StageEnded, StepDone, FirstResultsReady,
                        ReadyToDeliver; to_json / from_json; Subscription
    jobs.work           JobSpec, FetchVideo, JobWork, Progress, OutputFile, JobOutput: what a runner is given
    jobs.local_runner   JobRunner: the in-process JobQueue (CONCURRENT_JOBS at once, one on the GPU)
    jobs.ledger         JobLedger: how a runner records its jobs (any job; or, for a worker, the jobs it holds)
    jobs.render_work    render_work(generator, media_config): the render pipeline as a JobWork
    jobs.results        keep_results: a job's files moved (or, while it runs, copied) into its results folder
    jobs.queue_order    first come, first served, one job per user at a time; queue positions
    jobs.config         RunnerConfig (built by the composition root from the settings)
    jobs.refusals       why a job failed, by code, besides the engine's refusals
    jobs.failures       failure_reason(error): what the user reads for a job's failure (never ffmpeg's words)

Workers on other hosts (RUNNER=celery; Celery is the optional `scale` extra, imported only there):

    jobs.celery_app     the Celery application and its one task (a message is a job id: a turn), BrokerConfig
    jobs.celery_queue   CeleryJobQueue: a front end's JobQueue (enqueue, cancel, positions from the database)
    jobs.celery_worker  CeleryWorker: a worker's turns (claim, run, deliver), heartbeat, care of lost workers
    jobs.fleet          queue positions announced once, the workers online
    jobs.chat_slots     RedisChatSlots: Telegram's per-chat edit budget shared by every process
"""
