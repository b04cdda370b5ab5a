
use builtin;
use str;

set edit:completion:arg-completer[comfyctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'comfyctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'comfyctl'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand run 'Run a workflow (API or editor format), follow it, and save its outputs'
            cand params 'List a workflow''s friendly parameters, models, embeddings and outputs'
            cand batch 'Run a workflow many times: counts and parameter sweeps, in parallel, across servers'
            cand validate 'Check a workflow (and parameters) against the server''s node definitions without running it'
            cand convert 'Convert an editor-saved (UI-format) workflow to API format'
            cand deps 'What a workflow needs that the server lacks (nodes, models, embeddings, inputs) and how to get it'
            cand watch 'Live view of a server, or follow one job to its end (saving previews and outputs)'
            cand queue 'Running and pending jobs; `queue clear` removes the pending ones'
            cand cancel 'Stop jobs: interrupt a running one, remove a pending one'
            cand health 'Is the server working: a checklist, and with --smoke a real round trip'
            cand logs 'Why a prompt failed (or whether it still runs), the last jobs, or the server''s log'
            cand hw 'What this machine can run: OS, CPU, RAM, disk, GPUs, and which model families fit'
            cand setup 'Get a local ComfyUI running: comfy-cli, ComfyUI, a background server, a `local` profile'
            cand config 'Show the resolved settings or where the config file lives'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'comfyctl;run'= {
            cand -p 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --param 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --prompt 'Positive prompt text (same as -p prompt=TEXT)'
            cand --negative 'Negative prompt text'
            cand --seed 'Seed, or `random`'
            cand --steps 'Sampling steps'
            cand --cfg 'CFG scale'
            cand --width 'Image width in pixels'
            cand --height 'Image height in pixels'
            cand --set 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)'
            cand --set-json 'Set an input to a JSON value: NODE.input=JSON'
            cand --image 'Upload an image and use it in the first image loader'
            cand --input 'Upload an image for a named parameter or loader node: NAME=PATH (image@12=a.png, "Style image=b.png")'
            cand --mask 'Upload a mask: to the mask loader, or onto the --image (its alpha becomes the mask)'
            cand --object-info 'Validate against this saved /object_info file instead of asking the server'
            cand --partner-key 'Key for partner (API) nodes, sent in extra_data.api_key_comfy_org; prefer the env var, since a command line is visible to other users'
            cand -o 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]'
            cand --output-dir 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]'
            cand --timeout 'Give up after this many seconds in total [env: COMFYCTL_TIMEOUT]'
            cand --idle-timeout 'Give up when the server sends nothing for this many seconds'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --randomize-seed 'Pick a fresh seed for this run (reported on stderr and in --json)'
            cand --force-literal 'Allow --set to replace an input that is linked to another node'
            cand --replace-inputs 'Replace a different file of the same name on the server (default: the server renames ours)'
            cand --refresh 'Fetch /object_info again instead of using the cached copy'
            cand --no-validate 'Send the prompt without checking it against the server''s node definitions first'
            cand --detach 'Submit and exit at once: print the prompt id (and client id) instead of following the job'
            cand --no-embed-workflow 'Do not embed an editor workflow in the submission (saved PNGs then lack it)'
            cand --print-prompt 'Print the final prompt JSON and exit without contacting the server'
            cand --flat-output 'Save files directly in the output dir, ignoring server subfolders'
            cand --overwrite 'Replace existing files instead of saving as name-1.ext'
            cand --no-download 'Do not download; print each output''s /view URL on stdout'
            cand --allow-partial 'Exit 0 even when the server dropped outputs that failed validation'
            cand --json 'Print one JSON object with the result on stdout'
            cand --jsonl 'Print every event as a JSON line on stdout, the result last'
            cand --no-progress 'No progress bars, even on a terminal'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;params'= {
            cand -p 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --param 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --prompt 'Positive prompt text (same as -p prompt=TEXT)'
            cand --negative 'Negative prompt text'
            cand --seed 'Seed, or `random`'
            cand --steps 'Sampling steps'
            cand --cfg 'CFG scale'
            cand --width 'Image width in pixels'
            cand --height 'Image height in pixels'
            cand --set 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)'
            cand --set-json 'Set an input to a JSON value: NODE.input=JSON'
            cand --object-info 'Validate against this saved /object_info file instead of asking the server'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --randomize-seed 'Pick a fresh seed for this run (reported on stderr and in --json)'
            cand --force-literal 'Allow --set to replace an input that is linked to another node'
            cand --refresh 'Fetch /object_info again instead of using the cached copy'
            cand --print-prompt 'Print the prompt JSON after applying parameters instead of the listing'
            cand --json 'Print one JSON object'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;batch'= {
            cand -p 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --param 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --prompt 'Positive prompt text (same as -p prompt=TEXT)'
            cand --negative 'Negative prompt text'
            cand --seed 'Seed, or `random`'
            cand --steps 'Sampling steps'
            cand --cfg 'CFG scale'
            cand --width 'Image width in pixels'
            cand --height 'Image height in pixels'
            cand --set 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)'
            cand --set-json 'Set an input to a JSON value: NODE.input=JSON'
            cand --image 'Upload an image and use it in the first image loader'
            cand --input 'Upload an image for a named parameter or loader node: NAME=PATH (image@12=a.png, "Style image=b.png")'
            cand --mask 'Upload a mask: to the mask loader, or onto the --image (its alpha becomes the mask)'
            cand --object-info 'Validate against this saved /object_info file instead of asking the server'
            cand --count 'Run every combination this many times'
            cand --seed-mode 'Seeds across --count repetitions: increment (the workflow''s seed + n), random, or fixed'
            cand --sweep 'Sweep a parameter: NAME=V1,V2,… or a range START..END[:STEP] (repeat for a cartesian product)'
            cand --params-file 'One job per row: CSV with a header of parameter names, or JSON Lines'
            cand --resume 'Finish the batch in DIR: run only the jobs without a successful line in its batch.jsonl'
            cand -j 'Jobs in flight per server [default: 2 locally, the profile''s `jobs` on Comfy Cloud]'
            cand --jobs 'Jobs in flight per server [default: 2 locally, the profile''s `jobs` on Comfy Cloud]'
            cand --partner-key 'Key for partner (API) nodes, sent in extra_data.api_key_comfy_org'
            cand --timeout 'Give up on a job after this many seconds [env: COMFYCTL_TIMEOUT]'
            cand --idle-timeout 'Give up on a job when the server sends nothing about it for this many seconds'
            cand -o 'The batch directory [default: a new batch-DATE-TIME folder in the output dir]'
            cand --output-dir 'The batch directory [default: a new batch-DATE-TIME folder in the output dir]'
            cand --name 'Folder name of each job: fields {index}, {seed}, {rep} and every swept parameter'
            cand --grid 'Draw a contact sheet of each job''s first image (an X/Y plot for one or two sweeps)'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --randomize-seed 'Pick a fresh seed for this run (reported on stderr and in --json)'
            cand --force-literal 'Allow --set to replace an input that is linked to another node'
            cand --replace-inputs 'Replace a different file of the same name on the server (default: the server renames ours)'
            cand --refresh 'Fetch /object_info again instead of using the cached copy'
            cand --zip 'Pair the sweeps'' values (first with first, …) instead of every combination'
            cand --dry-run 'List the jobs and exit without contacting a server'
            cand --fail-fast 'Stop at the first failed job (running jobs of this batch are interrupted)'
            cand --no-validate 'Send prompts without checking them against the server''s node definitions first'
            cand --flat-output 'Save files directly in each job''s folder, ignoring server subfolders'
            cand --json 'Print one JSON summary object on stdout at the end'
            cand --jsonl 'Print one JSON line per finished job on stdout (the manifest line), the summary last'
            cand --no-progress 'No progress bars, even on a terminal'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;validate'= {
            cand -p 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --param 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --prompt 'Positive prompt text (same as -p prompt=TEXT)'
            cand --negative 'Negative prompt text'
            cand --seed 'Seed, or `random`'
            cand --steps 'Sampling steps'
            cand --cfg 'CFG scale'
            cand --width 'Image width in pixels'
            cand --height 'Image height in pixels'
            cand --set 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)'
            cand --set-json 'Set an input to a JSON value: NODE.input=JSON'
            cand --object-info 'Validate against this saved /object_info file instead of asking the server'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --randomize-seed 'Pick a fresh seed for this run (reported on stderr and in --json)'
            cand --force-literal 'Allow --set to replace an input that is linked to another node'
            cand --refresh 'Fetch /object_info again instead of using the cached copy'
            cand --json 'Print one JSON object'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;convert'= {
            cand -o 'Write the API format here instead of stdout (- for stdout)'
            cand --output 'Write the API format here instead of stdout (- for stdout)'
            cand -p 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --param 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)'
            cand --prompt 'Positive prompt text (same as -p prompt=TEXT)'
            cand --negative 'Negative prompt text'
            cand --seed 'Seed, or `random`'
            cand --steps 'Sampling steps'
            cand --cfg 'CFG scale'
            cand --width 'Image width in pixels'
            cand --height 'Image height in pixels'
            cand --set 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)'
            cand --set-json 'Set an input to a JSON value: NODE.input=JSON'
            cand --object-info 'Validate against this saved /object_info file instead of asking the server'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --force 'Replace --output if it exists'
            cand --no-embed-workflow 'Do not embed the editor workflow (only matters with --prompt-body)'
            cand --prompt-body 'Write a whole /prompt body ({"prompt": …, "extra_data": …}) instead of the bare prompt'
            cand --randomize-seed 'Pick a fresh seed for this run (reported on stderr and in --json)'
            cand --force-literal 'Allow --set to replace an input that is linked to another node'
            cand --refresh 'Fetch /object_info again instead of using the cached copy'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;deps'= {
            cand --node-map 'ComfyUI-Manager''s extension-node-map.json: which pack provides which node type'
            cand --model-list 'ComfyUI-Manager''s model-list.json: where to download known models'
            cand --object-info 'Validate against this saved /object_info file instead of asking the server'
            cand --models-dir 'With --fix: the ComfyUI models folder to download into (default: the local server''s own folders, from /internal/folder_paths)'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --refresh 'Fetch /object_info again instead of using the cached copy'
            cand --fix 'Install missing node packs (comfy-cli, else the server''s Manager) and download missing models that have a known URL'
            cand --dry-run 'With --fix: print every action without doing any'
            cand --strict 'A check that could not run (node definitions refused on Comfy Cloud''s free tier) is a failure instead of a skip'
            cand --json 'Print one JSON object'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;watch'= {
            cand --prompt-id 'Follow this job to its end'
            cand --client-id 'Connect as this client (the submitter''s id, so a local server sends its live steps)'
            cand --previews 'Save every preview frame here'
            cand --events 'Comfy Cloud: follow the developer event socket for these patterns (job.completed,job.*,*)'
            cand -o 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]'
            cand --output-dir 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]'
            cand --timeout 'Give up after this many seconds [env: COMFYCTL_TIMEOUT]'
            cand --idle-timeout 'Give up when the server sends nothing for this many seconds'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --download 'With --prompt-id: download the outputs like run does (else print their URLs)'
            cand --flat-output 'Save files directly in the output dir, ignoring server subfolders'
            cand --overwrite 'Replace existing files instead of saving as name-1.ext'
            cand --jsonl 'Every event as one JSON line on stdout'
            cand --no-progress 'No progress bars, even on a terminal'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;queue'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --json 'Print one JSON object'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand clear 'Remove every pending job (asks first)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'comfyctl;queue;clear'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand -y 'Do not ask'
            cand --yes 'Do not ask'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;queue;help'= {
            cand clear 'Remove every pending job (asks first)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'comfyctl;queue;help;clear'= {
        }
        &'comfyctl;queue;help;help'= {
        }
        &'comfyctl;cancel'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --json 'Print one JSON object'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;health'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --smoke 'Run a tiny model-free workflow end to end and check its image'
            cand -y 'Do not ask before the smoke test on Comfy Cloud (it costs credits)'
            cand --yes 'Do not ask before the smoke test on Comfy Cloud (it costs credits)'
            cand --json 'Print one JSON object'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;logs'= {
            cand -n 'How many jobs to list'
            cand --limit 'How many jobs to list'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --server 'The server''s own log (/internal/logs/raw)'
            cand -f 'With --server: keep printing new lines until Ctrl-C'
            cand --follow 'With --server: keep printing new lines until Ctrl-C'
            cand --json 'Print JSON (JSON Lines with --server)'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;hw'= {
            cand -o 'Measure free disk here (default: the current directory)'
            cand --output-dir 'Measure free disk here (default: the current directory)'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --torch 'Also run a PyTorch probe with the python on PATH'
            cand --json 'Print one JSON object'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;setup'= {
            cand --workspace 'Where ComfyUI lives [default: the platform data dir, e.g. ~/.local/share/comfyctl/ComfyUI]'
            cand --port 'Port the server listens on (127.0.0.1 only)'
            cand --profile-name 'Name of the profile to write'
            cand --wait 'Seconds to wait for the server to answer after starting it'
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --cpu 'Install for the CPU even when a GPU is found'
            cand --dry-run 'Print each step (and its command) without doing any'
            cand --json 'Print one JSON object with every step'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;config'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Print the resolved settings (secrets redacted) and where each came from'
            cand path 'Print the config file path'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'comfyctl;config;show'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand --json 'Print JSON'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;config;path'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;config;help'= {
            cand show 'Print the resolved settings (secrets redacted) and where each came from'
            cand path 'Print the config file path'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'comfyctl;config;help;show'= {
        }
        &'comfyctl;config;help;path'= {
        }
        &'comfyctl;config;help;help'= {
        }
        &'comfyctl;completions'= {
            cand --profile 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)'
            cand --url 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)'
            cand --color 'When to use colour on stderr (NO_COLOR is respected)'
            cand -q 'Only print errors (and data on stdout)'
            cand --quiet 'Only print errors (and data on stdout)'
            cand -v 'Print every request and server message on stderr'
            cand --verbose 'Print every request and server message on stderr'
            cand --insecure 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'comfyctl;help'= {
            cand run 'Run a workflow (API or editor format), follow it, and save its outputs'
            cand params 'List a workflow''s friendly parameters, models, embeddings and outputs'
            cand batch 'Run a workflow many times: counts and parameter sweeps, in parallel, across servers'
            cand validate 'Check a workflow (and parameters) against the server''s node definitions without running it'
            cand convert 'Convert an editor-saved (UI-format) workflow to API format'
            cand deps 'What a workflow needs that the server lacks (nodes, models, embeddings, inputs) and how to get it'
            cand watch 'Live view of a server, or follow one job to its end (saving previews and outputs)'
            cand queue 'Running and pending jobs; `queue clear` removes the pending ones'
            cand cancel 'Stop jobs: interrupt a running one, remove a pending one'
            cand health 'Is the server working: a checklist, and with --smoke a real round trip'
            cand logs 'Why a prompt failed (or whether it still runs), the last jobs, or the server''s log'
            cand hw 'What this machine can run: OS, CPU, RAM, disk, GPUs, and which model families fit'
            cand setup 'Get a local ComfyUI running: comfy-cli, ComfyUI, a background server, a `local` profile'
            cand config 'Show the resolved settings or where the config file lives'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'comfyctl;help;run'= {
        }
        &'comfyctl;help;params'= {
        }
        &'comfyctl;help;batch'= {
        }
        &'comfyctl;help;validate'= {
        }
        &'comfyctl;help;convert'= {
        }
        &'comfyctl;help;deps'= {
        }
        &'comfyctl;help;watch'= {
        }
        &'comfyctl;help;queue'= {
            cand clear 'Remove every pending job (asks first)'
        }
        &'comfyctl;help;queue;clear'= {
        }
        &'comfyctl;help;cancel'= {
        }
        &'comfyctl;help;health'= {
        }
        &'comfyctl;help;logs'= {
        }
        &'comfyctl;help;hw'= {
        }
        &'comfyctl;help;setup'= {
        }
        &'comfyctl;help;config'= {
            cand show 'Print the resolved settings (secrets redacted) and where each came from'
            cand path 'Print the config file path'
        }
        &'comfyctl;help;config;show'= {
        }
        &'comfyctl;help;config;path'= {
        }
        &'comfyctl;help;completions'= {
        }
        &'comfyctl;help;help'= {
        }
    ]
    $completions[$command]
}
