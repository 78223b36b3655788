"""Every sentence the bot says, in English and Russian.

`tr(lang, key, **values)` picks the language's text and fills it in; a key missing in Russian falls back to
English. The language is the user's `language` setting, else Telegram's `language_code` (see `language_of`).
Setting names, ranges and refusal words come from `engine.options.SPECS`. The bot's own refusals are keys here
(their code is the key, see bot.refusals); the engine's and storage's refusals are shown in their English until
their codes get a translation here (`bot.refusals.words`).
"""

from __future__ import annotations

from engine.options import LANGUAGES

EN: dict[str, str] = {
    # --- /start and /help -------------------------------------------------------------------------
    "start": (
        "Hi! I cut a video into equal parts and give the part you choose new music made by Riffusion.\n\n"
        "1. Send me a video (up to {limit}); a caption becomes the music prompt.\n"
        "2. Say what music you want with /prompt, and choose the number of parts and the part.\n"
        "3. Press <b>Split-n-Generate</b>: you get the part with its new music, the music alone, previews "
        "and a zip of all parts.\n\n"
        "/help lists the commands and settings."
    ),
    "help": (
        "<b>How it works</b>\n"
        "1. Send a video (a video, a file, a round video or a GIF; up to {limit}). A caption is the prompt.\n"
        "2. /prompt TEXT says what music you want; /parts N cuts it into N equal parts; /part K picks the part "
        "that gets the music.\n"
        "3. /generate (or the button) makes it; I send the part with new music, the music, previews and a zip.\n\n"
        "<b>Commands</b>\n"
        "/prompt TEXT – the music you want (or just send the text)\n"
        "/parts N – number of parts\n"
        "/part K – the part that gets new music\n"
        "/generate – split and generate\n"
        "/status – your video and choices\n"
        "/cancel – stop your running job\n"
        "/history – your last jobs\n"
        "/settings – all settings with buttons\n"
        "/set NAME VALUE – change one setting, e.g. <code>/set steps 30</code>, <code>/set seed random</code>\n"
        "/forget – delete everything I keep about you\n"
        "In groups: reply to a video with <code>/riff PROMPT</code>, or send a video captioned "
        "<code>/riff PROMPT</code>.\n\n"
        "<b>Settings for /set</b>\n{settings}\n\n"
        "<b>What I keep</b>\n"
        "Your settings, your current video's Telegram file id and its choices, and your jobs (prompt, "
        "settings, state). Results are kept until they are delivered and for {retention} h after, then deleted; "
        "a video is downloaded only to check it and while its job runs, then deleted. /forget deletes all of it "
        "at once."
    ),
    "help_setting": "<code>{name}</code> – {help} ({allowed})",
    # --- the status card --------------------------------------------------------------------------
    "card_title": "<b>Your video</b>",
    "card_video": "🎬 Video: {length}, {width}×{height}, {size}",
    "card_prompt": "🎵 Prompt: {prompt}",
    "card_no_prompt": "🎵 Prompt: none yet",
    "card_parts": "✂️ Parts: {parts} × {part_length} each",
    "card_part": "🎯 Chosen part: {part} of {parts}, {start} – {end}",
    "card_ready": "Ready: press Split-n-Generate.",
    "card_none": "You have no video here yet: send me one.",
    "missing_prompt": "What music? Send /prompt TEXT or reply to my question with a prompt.",
    "missing_remix_audio": ("Remix is on but this video has no sound to remix: turn it off with /set remix off."),
    "ask_prompt": (
        "What music should the part get? Reply to this message with a prompt, e.g. <i>lo-fi beat with soft piano</i>."
    ),
    "btn_parts_minus": "✂️ −",
    "btn_parts_plus": "✂️ +",
    "btn_parts_now": "{parts} parts",
    "btn_part_minus": "🎯 −",
    "btn_part_plus": "🎯 +",
    "btn_part_now": "part {part}",
    "btn_settings": "⚙️ Settings",
    "btn_generate": "▶️ Split-n-Generate",
    "btn_prompt": "🎵 Set the prompt",
    "prompt_set": "Prompt set.",
    "parts_set": "Parts: {parts}.",
    "part_set": "Chosen part: {part}.",
    "usage_parts": "Send the number after the command, e.g. <code>/parts 3</code>.",
    "usage_part": "Send the part's number after the command, e.g. <code>/part 2</code>.",
    "usage_set": "Use <code>/set NAME VALUE</code>, e.g. <code>/set steps 30</code>. Settings: {names}.",
    "chosen_part_out_of_range": "The chosen part must be 1 to {parts}; {value} is not.",
    "not_a_number": "{what} must be a whole number; '{value}' is not.",
    "no_video": "Send me a video first.",
    "stale_card": "This card is about an earlier video; here is the current one.",
    "button_unknown": "This button is not one I know (it may be from an older version of me); send /status.",
    "button_without_message": "This button is on a message too old for me to change; send /status for a fresh one.",
    # --- intake -----------------------------------------------------------------------------------
    "not_video": "That is not a video: send an MP4, MOV, WebM or another video file.",
    "too_big": (
        "This video is {size}, over the {limit} a bot can download from Telegram. Send a shorter or smaller "
        "video, or ask the operator to run a local Bot API server, which lifts the limit."
    ),
    "checking": "Checking your video…",
    "download_too_big": "This video is over the {limit} MB a bot can download from Telegram.",
    "download_refused": "Telegram would not give me this video ({reason}); please send it again.",
    "telegram_unavailable": "Telegram did not hand me the video just now; please try again in a few minutes.",
    # --- settings ---------------------------------------------------------------------------------
    "settings_title": "<b>Settings</b> (each one also works as <code>/set NAME VALUE</code>)",
    "settings_pick": (
        "<b>{title}</b>: now <b>{value}</b>\n{help}\nAllowed: {allowed}.\n"
        "Pick a value, or send <code>/set {name} VALUE</code>."
    ),
    "settings_saved": "{title}: {value}.",
    "btn_back": "« Back",
    "btn_close": "Close",
    "not_your_menu": "This menu belongs to the member who opened it; send /settings for your own.",
    "not_your_card": "These buttons belong to the member who sent the video.",
    "guidance_ignores_negative": "Note: with guidance {guidance} (1 or less) the negative prompt is ignored.",
    # --- jobs -------------------------------------------------------------------------------------
    "job_queued": "Job #{job} queued.",
    "job_exists": "Job #{job} with these settings is already on its way.",
    "quota": "You have used your {quota} jobs for today; the quota resets at midnight UTC.",
    "progress_queued": "⏳ Job #{job}: queued, {position} ahead of you.",
    "progress_queued_next": "⏳ Job #{job}: queued, you are next.",
    "progress_downloading": "⬇️ Job #{job}: downloading the video…",
    "progress_splitting": "✂️ Job #{job}: splitting into {parts} parts…",
    "progress_generating": "🎹 Job #{job}: generating music\n{bar} {percent}%\nstep {step}/{steps}{windows}{eta}",
    "progress_window": ", window {window}/{windows}",
    "progress_generating_start": "🎹 Job #{job}: generating music…",
    "progress_windows_batch": ", {windows} windows at once",
    "progress_eta": ", about {seconds} s left",
    "progress_remuxing": "🎚 Job #{job}: putting the music on part {part}…",
    "progress_packing": "📦 Job #{job}: making previews and the zip…",
    "progress_uploading": "⬆️ Job #{job}: uploading…",
    "progress_still_sending": (
        "⬆️ Job #{job}: still sending. Telegram is not taking files right now; your results are kept and I keep trying."
    ),
    "progress_done": "✅ Job #{job}: done in {seconds} s.",
    "progress_failed": "❌ Job #{job}: {reason}",
    "progress_cancelled": "🚫 Job #{job}: cancelled.",
    "btn_cancel": "✖️ Cancel",
    "btn_new_seed": "🎲 New seed",
    "btn_another_part": "🎯 Another part",
    "result_caption": "🎵 {prompt}\nseed {seed} · part {part}/{parts} · {settings}",
    "audio_title": "Riffcut: {prompt}",
    "zip_caption": "All {parts} parts; part {part} with new music.",
    "fullcut_caption": "The whole video with part {part}'s new music.",
    "too_big_upload": (
        "The {what} is {size}, over the {limit} a bot can upload to Telegram, so I did not send it. Use a "
        "shorter video or more parts, or ask the operator to run a local Bot API server."
    ),
    "too_big_server": (
        "Telegram refused the {what} ({size}) as too large, so I did not send it. Use a shorter video or more "
        "parts, or ask the operator to run a local Bot API server."
    ),
    "what_video": "part with new music",
    "what_audio": "music",
    "what_zip": "zip",
    "what_fullcut": "full cut",
    "what_preview": "preview of part {index}",
    "pick_part": "Which part should get new music?",
    "internal_error": "Something went wrong on my side{job}; it has been logged. Please try again.",
    "disk_full": "The server is short of space right now, so I cannot take this; please try again later.",
    "internal_error_job": " (job #{job})",
    "nothing_to_cancel": "You have no job to cancel.",
    "cancelled": "Job #{job} cancelled.",
    "cancel_too_late": "Job #{job} is already finished.",
    "not_your_job": "Only the member who started job #{job} or a chat admin can cancel it.",
    "status_jobs": "Your jobs: {jobs}",
    "history_empty": "You have no jobs yet.",
    "history_title": "<b>Your last jobs</b>",
    "history_line": "#{job} · {state} · {when} · part {part}/{parts} · {prompt}",
    "state_queued": "queued",
    "state_running": "running",
    "state_done": "done",
    "state_failed": "failed",
    "state_cancelled": "cancelled",
    # --- forget, access, admin --------------------------------------------------------------------
    "forget_ask": "Delete your settings, videos, jobs and results? This cannot be undone.",
    "btn_forget_yes": "🗑 Yes, delete everything",
    "btn_forget_no": "Keep it",
    "forget_done": "Done: I kept nothing about you.",
    "forget_kept": "Nothing was deleted.",
    "not_allowed": "Sorry, this bot is private. Ask its operator to let you in.",
    "admins_only": "This command is for the bot's operators.",
    "queue_empty": "The queue is empty.",
    "queue_title": "<b>Queue</b> ({count})",
    "queue_line": "#{job} · {state} · user {user} · chat {chat}{stage}",
    "stats_title": "<b>Stats</b>",
    # --- groups -----------------------------------------------------------------------------------
    "riff_usage": "Reply to a video with <code>/riff PROMPT</code>, or send a video with that caption.",
    "unknown_command": "I don't know that command; /help lists what I can do.",
}

RU: dict[str, str] = {
    "start": (
        "Привет! Я режу видео на равные части и даю выбранной части новую музыку от Riffusion.\n\n"
        "1. Пришлите видео (до {limit}); подпись станет описанием музыки.\n"
        "2. Опишите музыку командой /prompt и выберите число частей и часть.\n"
        "3. Нажмите <b>Split-n-Generate</b>: придут часть с новой музыкой, сама музыка, превью и zip всех "
        "частей.\n\n"
        "/help — команды и настройки."
    ),
    "help": (
        "<b>Как это работает</b>\n"
        "1. Пришлите видео (видео, файл, кружок или GIF; до {limit}). Подпись — это описание музыки.\n"
        "2. /prompt ТЕКСТ — какая нужна музыка; /parts N — на сколько равных частей резать; /part K — какая "
        "часть получит музыку.\n"
        "3. /generate (или кнопка) — я пришлю часть с новой музыкой, музыку, превью и zip.\n\n"
        "<b>Команды</b>\n"
        "/prompt ТЕКСТ — описание музыки (или просто пришлите текст)\n"
        "/parts N — число частей\n"
        "/part K — часть для новой музыки\n"
        "/generate — разрезать и сгенерировать\n"
        "/status — ваше видео и выбор\n"
        "/cancel — остановить задание\n"
        "/history — последние задания\n"
        "/settings — все настройки кнопками\n"
        "/set ИМЯ ЗНАЧЕНИЕ — одна настройка, напр. <code>/set steps 30</code>, <code>/set seed random</code>\n"
        "/forget — удалить всё, что я храню о вас\n"
        "В группах: ответьте на видео командой <code>/riff ОПИСАНИЕ</code> или пришлите видео с такой "
        "подписью.\n\n"
        "<b>Настройки для /set</b>\n{settings}\n\n"
        "<b>Что я храню</b>\n"
        "Ваши настройки, Telegram-идентификатор текущего видео и выбор для него, ваши задания (описание, "
        "настройки, состояние). Результаты хранятся до доставки и ещё {retention} ч, затем удаляются; видео "
        "скачивается только для проверки и на время задания, затем удаляется. /forget удаляет всё сразу."
    ),
    "card_title": "<b>Ваше видео</b>",
    "card_video": "🎬 Видео: {length}, {width}×{height}, {size}",
    "card_prompt": "🎵 Описание: {prompt}",
    "card_no_prompt": "🎵 Описание: пока нет",
    "card_parts": "✂️ Частей: {parts} по {part_length}",
    "card_part": "🎯 Выбрана часть {part} из {parts}, {start} – {end}",
    "card_ready": "Готово: нажмите Split-n-Generate.",
    "card_none": "Здесь пока нет вашего видео: пришлите его.",
    "missing_prompt": "Какая музыка? Пришлите /prompt ТЕКСТ или ответьте на мой вопрос описанием.",
    "missing_remix_audio": "Ремикс включён, но в видео нет звука: выключите его командой /set remix off.",
    "ask_prompt": (
        "Какую музыку дать части? Ответьте на это сообщение описанием, напр. <i>lo-fi beat with soft piano</i>."
    ),
    "btn_parts_now": "{parts} частей",
    "btn_part_now": "часть {part}",
    "btn_settings": "⚙️ Настройки",
    "btn_prompt": "🎵 Задать описание",
    "prompt_set": "Описание задано.",
    "parts_set": "Частей: {parts}.",
    "part_set": "Выбрана часть {part}.",
    "usage_parts": "Напишите число после команды, напр. <code>/parts 3</code>.",
    "usage_part": "Напишите номер части после команды, напр. <code>/part 2</code>.",
    "usage_set": "Формат: <code>/set ИМЯ ЗНАЧЕНИЕ</code>, напр. <code>/set steps 30</code>. Настройки: {names}.",
    "chosen_part_out_of_range": "Номер части должен быть от 1 до {parts}; {value} не подходит.",
    "not_a_number": "{what}: нужно целое число; «{value}» — не число.",
    "no_video": "Сначала пришлите видео.",
    "stale_card": "Эта карточка о прежнем видео; вот текущее.",
    "button_unknown": "Эту кнопку я не знаю (возможно, она от моей прежней версии); пришлите /status.",
    "button_without_message": "Эта кнопка на слишком старом сообщении, я не могу его изменить; пришлите /status.",
    "not_video": "Это не видео: пришлите MP4, MOV, WebM или другой видеофайл.",
    "too_big": (
        "Видео весит {size}, больше {limit}, которые бот может скачать из Telegram. Пришлите видео короче или "
        "меньше, или попросите оператора запустить локальный Bot API сервер: он снимает этот предел."
    ),
    "checking": "Проверяю видео…",
    "download_too_big": "Это видео больше {limit} МБ, которые бот может скачать из Telegram.",
    "download_refused": "Telegram не отдал мне это видео ({reason}); пришлите его ещё раз.",
    "telegram_unavailable": "Telegram сейчас не отдал мне видео; попробуйте ещё раз через несколько минут.",
    "settings_title": "<b>Настройки</b> (каждая также работает как <code>/set ИМЯ ЗНАЧЕНИЕ</code>)",
    "settings_pick": (
        "<b>{title}</b>: сейчас <b>{value}</b>\n{help}\nДопустимо: {allowed}.\n"
        "Выберите значение или пришлите <code>/set {name} ЗНАЧЕНИЕ</code>."
    ),
    "btn_back": "« Назад",
    "btn_close": "Закрыть",
    "not_your_menu": "Это меню того, кто его открыл; пришлите /settings, чтобы открыть своё.",
    "not_your_card": "Эти кнопки — для того, кто прислал видео.",
    "guidance_ignores_negative": "Заметьте: при guidance {guidance} (1 или меньше) негативное описание не учитывается.",
    "job_queued": "Задание #{job} в очереди.",
    "job_exists": "Задание #{job} с этими настройками уже выполняется.",
    "quota": "Вы использовали свои {quota} заданий на сегодня; лимит обновится в полночь UTC.",
    "progress_queued": "⏳ Задание #{job}: в очереди, перед вами {position}.",
    "progress_queued_next": "⏳ Задание #{job}: в очереди, вы следующий.",
    "progress_downloading": "⬇️ Задание #{job}: скачиваю видео…",
    "progress_splitting": "✂️ Задание #{job}: режу на {parts} частей…",
    "progress_generating": "🎹 Задание #{job}: генерирую музыку\n{bar} {percent}%\nшаг {step}/{steps}{windows}{eta}",
    "progress_window": ", окно {window}/{windows}",
    "progress_generating_start": "🎹 Задание #{job}: генерирую музыку…",
    "progress_windows_batch": ", {windows} окон сразу",
    "progress_eta": ", осталось около {seconds} с",
    "progress_remuxing": "🎚 Задание #{job}: накладываю музыку на часть {part}…",
    "progress_packing": "📦 Задание #{job}: делаю превью и zip…",
    "progress_uploading": "⬆️ Задание #{job}: отправляю…",
    "progress_still_sending": (
        "⬆️ Задание #{job}: всё ещё отправляю. Telegram сейчас не принимает файлы; результаты сохранены, и я "
        "продолжаю пытаться."
    ),
    "progress_done": "✅ Задание #{job}: готово за {seconds} с.",
    "progress_failed": "❌ Задание #{job}: {reason}",
    "progress_cancelled": "🚫 Задание #{job}: отменено.",
    "btn_cancel": "✖️ Отмена",
    "btn_new_seed": "🎲 Новый seed",
    "btn_another_part": "🎯 Другая часть",
    "zip_caption": "Все {parts} частей; часть {part} с новой музыкой.",
    "fullcut_caption": "Всё видео с новой музыкой в части {part}.",
    "too_big_upload": (
        "{what} весит {size}, больше {limit}, которые бот может отправить в Telegram, поэтому я не отправил "
        "его. Возьмите видео короче или больше частей, или попросите оператора запустить локальный Bot API "
        "сервер."
    ),
    "too_big_server": (
        "{what} ({size}): Telegram не принял такой большой файл, поэтому я его не отправил. Возьмите видео "
        "короче или больше частей, или попросите оператора запустить локальный Bot API сервер."
    ),
    "what_video": "Часть с новой музыкой",
    "what_audio": "Музыка",
    "what_zip": "Zip",
    "what_fullcut": "Полное видео",
    "what_preview": "Превью части {index}",
    "pick_part": "Какой части дать новую музыку?",
    "internal_error": "Что-то сломалось на моей стороне{job}; это записано в журнал. Попробуйте ещё раз.",
    "disk_full": "На сервере сейчас не хватает места, поэтому я не могу это принять; попробуйте позже.",
    # Refusals of the layers below, by code (their English is theirs; bot.refusals.say uses these for Russian).
    "storage_read_only": (
        "Хранилище сервера сейчас не принимает записи, поэтому я не беру новые видео и задания; попробуйте позже."
    ),
    "job_storage_read_only": (
        "Хранилище сервера перестало принимать записи, пока шло это задание, и оно остановлено; попробуйте позже."
    ),
    "job_disk_full": "На сервере кончилось место, пока делалось это задание; попробуйте позже.",
    "job_engine_failure": "Задание не получилось по нашей вине; это записано в журнал. Попробуйте ещё раз.",
    "job_out_of_gpu_memory": "GPU не хватило памяти на эту музыку; возьмите часть покороче или попробуйте позже.",
    "job_results_not_saved": "Результаты не удалось сохранить на сервере; попробуйте ещё раз.",
    "job_no_disk": "На сервере сейчас не хватает места, поэтому задание не началось; попробуйте позже.",
    "video_too_long": "{what}: длительность {value:.0f} с; самое длинное видео, которое я принимаю, — {allowed:.0f} с.",
    "video_too_many_frames": "{what}: {value} кадров; я принимаю не больше {allowed}.",
    "video_frames_over_limit": "{what}: больше {allowed} кадров; я принимаю не больше {allowed}.",
    "video_too_many_pixels": "{what}: {width}×{height} пикселей; кадр может быть не больше {allowed} пикселей.",
    "video_side_too_long": "{what}: {width}×{height} пикселей; сторона кадра может быть не длиннее {allowed} пикселей.",
    "video_side_too_short": "{what}: {width}×{height} пикселей; каждая сторона кадра — не меньше {allowed} пикселей.",
    "video_too_elongated": "{what}: {width}×{height} пикселей; кадр может быть вытянут не больше чем {allowed:g} к 1.",
    "too_many_parts": "{value} частей — слишком много; можно не больше {allowed}.",
    "video_too_long_for_max_parts": (
        "Видео длится {duration:.0f} с: это слишком долго для {max_parts} частей (больше нельзя) по {max_s:g} с."
    ),
    "probe_too_slow": "{what} читается дольше {allowed:g} с, больше, чем можно на проверку; возможно, файл повреждён.",
    "internal_error_job": " (задание #{job})",
    "nothing_to_cancel": "Нет задания, которое можно отменить.",
    "cancelled": "Задание #{job} отменено.",
    "cancel_too_late": "Задание #{job} уже завершено.",
    "not_your_job": "Отменить задание #{job} может только тот, кто его начал, или админ чата.",
    "status_jobs": "Ваши задания: {jobs}",
    "history_empty": "У вас пока нет заданий.",
    "history_title": "<b>Последние задания</b>",
    "history_line": "#{job} · {state} · {when} · часть {part}/{parts} · {prompt}",
    "state_queued": "в очереди",
    "state_running": "выполняется",
    "state_done": "готово",
    "state_failed": "ошибка",
    "state_cancelled": "отменено",
    "forget_ask": "Удалить ваши настройки, видео, задания и результаты? Это нельзя отменить.",
    "btn_forget_yes": "🗑 Да, удалить всё",
    "btn_forget_no": "Оставить",
    "forget_done": "Готово: я ничего о вас не храню.",
    "forget_kept": "Ничего не удалено.",
    "not_allowed": "Извините, это закрытый бот. Попросите оператора дать вам доступ.",
    "admins_only": "Эта команда — для операторов бота.",
    "queue_empty": "Очередь пуста.",
    "queue_title": "<b>Очередь</b> ({count})",
    "stats_title": "<b>Статистика</b>",
    "riff_usage": "Ответьте на видео командой <code>/riff ОПИСАНИЕ</code> или пришлите видео с такой подписью.",
    "unknown_command": "Не знаю такой команды; /help — что я умею.",
    "audio_title": "Riffcut: {prompt}",
    "btn_generate": "▶️ Split-n-Generate",
    "btn_part_minus": "🎯 −",
    "btn_part_plus": "🎯 +",
    "btn_parts_minus": "✂️ −",
    "btn_parts_plus": "✂️ +",
    "help_setting": "<code>{name}</code> – {help} ({allowed})",
    "queue_line": "#{job} · {state} · пользователь {user} · чат {chat}{stage}",
    "result_caption": "🎵 {prompt}\nseed {seed} · часть {part}/{parts} · {settings}",
    "settings_saved": "{title}: {value}.",
}

# Setting titles shown in menus; English ones come from the specs.
SETTING_TITLES_RU: dict[str, str] = {
    "guidance": "Guidance (следование описанию)",
    "steps": "Шаги диффузии",
    "exact": "Точная нарезка",
    "previews": "Превью",
    "seed": "Seed",
    "negative": "Негативное описание",
    "remix": "Сила ремикса",
    "keep_original_db": "Оставить исходный звук",
    "full_cut": "Полное видео",
    "scheduler": "Сэмплер",
    "windows": "Окна",
    "language": "Язык",
}

TABLES = {"en": EN, "ru": RU}


def tr(lang: str | None, key: str, **values: object) -> str:
    table = TABLES.get(lang or "en", EN)
    text = table.get(key) or EN[key]
    return text.format(**values) if values else text


def language_of(setting: str | None, telegram_code: str | None) -> str:
    """The user's language setting, else Telegram's language_code when it is one we speak, else English."""
    if setting in LANGUAGES:
        return setting
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def setting_title(lang: str, name: str, default: str) -> str:
    return SETTING_TITLES_RU.get(name, default) if lang == "ru" else default


def human_size(size: int | None) -> str:
    """A size as Telegram's apps show it, in the unit its limits are given in (1 MB = 2**20 bytes)."""
    if not size:
        return "?"
    if size < 1 << 10:
        return f"{size} B"
    if size < 1 << 20:
        return f"{size / (1 << 10):.1f} KB"
    return f"{size / (1 << 20):.1f} MB"
