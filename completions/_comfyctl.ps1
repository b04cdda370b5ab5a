
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'comfyctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'comfyctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'comfyctl' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a workflow (API or editor format), follow it, and save its outputs')
            [CompletionResult]::new('params', 'params', [CompletionResultType]::ParameterValue, 'List a workflow''s friendly parameters, models, embeddings and outputs')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run a workflow many times: counts and parameter sweeps, in parallel, across servers')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check a workflow (and parameters) against the server''s node definitions without running it')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Convert an editor-saved (UI-format) workflow to API format')
            [CompletionResult]::new('deps', 'deps', [CompletionResultType]::ParameterValue, 'What a workflow needs that the server lacks (nodes, models, embeddings, inputs) and how to get it')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Live view of a server, or follow one job to its end (saving previews and outputs)')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'Running and pending jobs; `queue clear` removes the pending ones')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Stop jobs: interrupt a running one, remove a pending one')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Is the server working: a checklist, and with --smoke a real round trip')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Why a prompt failed (or whether it still runs), the last jobs, or the server''s log')
            [CompletionResult]::new('hw', 'hw', [CompletionResultType]::ParameterValue, 'What this machine can run: OS, CPU, RAM, disk, GPUs, and which model families fit')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Get a local ComfyUI running: comfy-cli, ComfyUI, a background server, a `local` profile')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show the resolved settings or where the config file lives')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Write an HTML page for a batch folder: thumbnails, parameters, errors, filters, grid')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve every tool and workflow to AI agents over the Model Context Protocol (stdio)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'comfyctl;run' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'Positive prompt text (same as -p prompt=TEXT)')
            [CompletionResult]::new('--negative', '--negative', [CompletionResultType]::ParameterName, 'Negative prompt text')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed, or `random`')
            [CompletionResult]::new('--steps', '--steps', [CompletionResultType]::ParameterName, 'Sampling steps')
            [CompletionResult]::new('--cfg', '--cfg', [CompletionResultType]::ParameterName, 'CFG scale')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Image width in pixels')
            [CompletionResult]::new('--height', '--height', [CompletionResultType]::ParameterName, 'Image height in pixels')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)')
            [CompletionResult]::new('--set-json', '--set-json', [CompletionResultType]::ParameterName, 'Set an input to a JSON value: NODE.input=JSON')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Upload an image and use it in the first image loader')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Upload an image for a named parameter or loader node: NAME=PATH (image@12=a.png, "Style image=b.png")')
            [CompletionResult]::new('--mask', '--mask', [CompletionResultType]::ParameterName, 'Upload a mask: to the mask loader, or onto the --image (its alpha becomes the mask)')
            [CompletionResult]::new('--object-info', '--object-info', [CompletionResultType]::ParameterName, 'Validate against this saved /object_info file instead of asking the server')
            [CompletionResult]::new('--partner-key', '--partner-key', [CompletionResultType]::ParameterName, 'Key for partner (API) nodes, sent in extra_data.api_key_comfy_org; prefer the env var, since a command line is visible to other users')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up on a job when the server sends nothing about it for this many seconds')
            [CompletionResult]::new('--reconnect-timeout', '--reconnect-timeout', [CompletionResultType]::ParameterName, 'Wait this long for a server that went away during a job (a restart) before giving up [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]')
            [CompletionResult]::new('--show-size', '--show-size', [CompletionResultType]::ParameterName, 'The box images fit in, in terminal cells [default: the terminal''s size]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--randomize-seed', '--randomize-seed', [CompletionResultType]::ParameterName, 'Pick a fresh seed for this run (reported on stderr and in --json)')
            [CompletionResult]::new('--force-literal', '--force-literal', [CompletionResultType]::ParameterName, 'Allow --set to replace an input that is linked to another node')
            [CompletionResult]::new('--replace-inputs', '--replace-inputs', [CompletionResultType]::ParameterName, 'Replace a different file of the same name on the server (default: the server renames ours)')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch /object_info again instead of using the cached copy')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Send the prompt without checking it against the server''s node definitions first')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Submit and exit at once: print the prompt id (and client id) instead of following the job')
            [CompletionResult]::new('--no-embed-workflow', '--no-embed-workflow', [CompletionResultType]::ParameterName, 'Do not embed an editor workflow in the submission (saved PNGs then lack it)')
            [CompletionResult]::new('--allow-partial', '--allow-partial', [CompletionResultType]::ParameterName, 'Exit 0 even when the server dropped outputs that failed validation')
            [CompletionResult]::new('--flat-output', '--flat-output', [CompletionResultType]::ParameterName, 'Save files directly in the output dir, ignoring server subfolders')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace existing files instead of saving as name-1.ext')
            [CompletionResult]::new('--print-prompt', '--print-prompt', [CompletionResultType]::ParameterName, 'Print the final prompt JSON and exit without contacting the server')
            [CompletionResult]::new('--no-download', '--no-download', [CompletionResultType]::ParameterName, 'Do not download; print each output''s /view URL on stdout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object with the result on stdout')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Print every event as a JSON line on stdout, the result last')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars, even on a terminal')
            [CompletionResult]::new('--show', '--show', [CompletionResultType]::ParameterName, 'Draw images in the terminal (kitty, iTerm2, sixel, else half-blocks) on a terminal only, never with --json/--jsonl/-q [profile: show]')
            [CompletionResult]::new('--no-show', '--no-show', [CompletionResultType]::ParameterName, 'Draw no images, even when the profile says show = true')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;params' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'Positive prompt text (same as -p prompt=TEXT)')
            [CompletionResult]::new('--negative', '--negative', [CompletionResultType]::ParameterName, 'Negative prompt text')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed, or `random`')
            [CompletionResult]::new('--steps', '--steps', [CompletionResultType]::ParameterName, 'Sampling steps')
            [CompletionResult]::new('--cfg', '--cfg', [CompletionResultType]::ParameterName, 'CFG scale')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Image width in pixels')
            [CompletionResult]::new('--height', '--height', [CompletionResultType]::ParameterName, 'Image height in pixels')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)')
            [CompletionResult]::new('--set-json', '--set-json', [CompletionResultType]::ParameterName, 'Set an input to a JSON value: NODE.input=JSON')
            [CompletionResult]::new('--object-info', '--object-info', [CompletionResultType]::ParameterName, 'Validate against this saved /object_info file instead of asking the server')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--randomize-seed', '--randomize-seed', [CompletionResultType]::ParameterName, 'Pick a fresh seed for this run (reported on stderr and in --json)')
            [CompletionResult]::new('--force-literal', '--force-literal', [CompletionResultType]::ParameterName, 'Allow --set to replace an input that is linked to another node')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch /object_info again instead of using the cached copy')
            [CompletionResult]::new('--print-prompt', '--print-prompt', [CompletionResultType]::ParameterName, 'Print the prompt JSON after applying parameters instead of the listing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;batch' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'Positive prompt text (same as -p prompt=TEXT)')
            [CompletionResult]::new('--negative', '--negative', [CompletionResultType]::ParameterName, 'Negative prompt text')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed, or `random`')
            [CompletionResult]::new('--steps', '--steps', [CompletionResultType]::ParameterName, 'Sampling steps')
            [CompletionResult]::new('--cfg', '--cfg', [CompletionResultType]::ParameterName, 'CFG scale')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Image width in pixels')
            [CompletionResult]::new('--height', '--height', [CompletionResultType]::ParameterName, 'Image height in pixels')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)')
            [CompletionResult]::new('--set-json', '--set-json', [CompletionResultType]::ParameterName, 'Set an input to a JSON value: NODE.input=JSON')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Upload an image and use it in the first image loader')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Upload an image for a named parameter or loader node: NAME=PATH (image@12=a.png, "Style image=b.png")')
            [CompletionResult]::new('--mask', '--mask', [CompletionResultType]::ParameterName, 'Upload a mask: to the mask loader, or onto the --image (its alpha becomes the mask)')
            [CompletionResult]::new('--object-info', '--object-info', [CompletionResultType]::ParameterName, 'Validate against this saved /object_info file instead of asking the server')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Run every combination this many times')
            [CompletionResult]::new('--seed-mode', '--seed-mode', [CompletionResultType]::ParameterName, 'Seeds across --count repetitions: increment (the workflow''s seed + n), random, or fixed')
            [CompletionResult]::new('--sweep', '--sweep', [CompletionResultType]::ParameterName, 'Sweep a parameter: NAME=V1,V2,… or a range START..END[:STEP] (repeat for a cartesian product)')
            [CompletionResult]::new('--params-file', '--params-file', [CompletionResultType]::ParameterName, 'One job per row: CSV with a header of parameter names, or JSON Lines')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Finish the batch in DIR: run only the jobs without a successful line in its batch.jsonl (the batch''s own arguments may be repeated: they must match its plan)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Jobs in flight per server [default: 2 locally, the profile''s `jobs` on Comfy Cloud]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Jobs in flight per server [default: 2 locally, the profile''s `jobs` on Comfy Cloud]')
            [CompletionResult]::new('--partner-key', '--partner-key', [CompletionResultType]::ParameterName, 'Key for partner (API) nodes, sent in extra_data.api_key_comfy_org; prefer the env var, since a command line is visible to other users')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up on a job when the server sends nothing about it for this many seconds')
            [CompletionResult]::new('--reconnect-timeout', '--reconnect-timeout', [CompletionResultType]::ParameterName, 'Wait this long for a server that went away during a job (a restart) before giving up [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The batch directory [default: a new batch-DATE-TIME folder in the output dir]')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'The batch directory [default: a new batch-DATE-TIME folder in the output dir]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Folder name of each job: fields {index}, {seed}, {rep} and every swept parameter')
            [CompletionResult]::new('--grid', '--grid', [CompletionResultType]::ParameterName, 'Draw a contact sheet of each job''s first image (an X/Y plot for one or two sweeps)')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write the batch''s report page here (an HTML file, kept current while the batch runs)')
            [CompletionResult]::new('--show-size', '--show-size', [CompletionResultType]::ParameterName, 'The box images fit in, in terminal cells [default: the terminal''s size]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--randomize-seed', '--randomize-seed', [CompletionResultType]::ParameterName, 'Pick a fresh seed for this run (reported on stderr and in --json)')
            [CompletionResult]::new('--force-literal', '--force-literal', [CompletionResultType]::ParameterName, 'Allow --set to replace an input that is linked to another node')
            [CompletionResult]::new('--replace-inputs', '--replace-inputs', [CompletionResultType]::ParameterName, 'Replace a different file of the same name on the server (default: the server renames ours)')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch /object_info again instead of using the cached copy')
            [CompletionResult]::new('--zip', '--zip', [CompletionResultType]::ParameterName, 'Pair the sweeps'' values (first with first, …) instead of every combination')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'List the jobs and exit without contacting a server')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'Stop at the first failed job (running jobs of this batch are interrupted)')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Send the prompt without checking it against the server''s node definitions first')
            [CompletionResult]::new('--flat-output', '--flat-output', [CompletionResultType]::ParameterName, 'Save files directly in each job''s folder, ignoring server subfolders')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object with the result on stdout')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Print every event as a JSON line on stdout, the result last')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars, even on a terminal')
            [CompletionResult]::new('--show', '--show', [CompletionResultType]::ParameterName, 'Draw images in the terminal (kitty, iTerm2, sixel, else half-blocks) on a terminal only, never with --json/--jsonl/-q [profile: show]')
            [CompletionResult]::new('--no-show', '--no-show', [CompletionResultType]::ParameterName, 'Draw no images, even when the profile says show = true')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;validate' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'Positive prompt text (same as -p prompt=TEXT)')
            [CompletionResult]::new('--negative', '--negative', [CompletionResultType]::ParameterName, 'Negative prompt text')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed, or `random`')
            [CompletionResult]::new('--steps', '--steps', [CompletionResultType]::ParameterName, 'Sampling steps')
            [CompletionResult]::new('--cfg', '--cfg', [CompletionResultType]::ParameterName, 'CFG scale')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Image width in pixels')
            [CompletionResult]::new('--height', '--height', [CompletionResultType]::ParameterName, 'Image height in pixels')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)')
            [CompletionResult]::new('--set-json', '--set-json', [CompletionResultType]::ParameterName, 'Set an input to a JSON value: NODE.input=JSON')
            [CompletionResult]::new('--object-info', '--object-info', [CompletionResultType]::ParameterName, 'Validate against this saved /object_info file instead of asking the server')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--randomize-seed', '--randomize-seed', [CompletionResultType]::ParameterName, 'Pick a fresh seed for this run (reported on stderr and in --json)')
            [CompletionResult]::new('--force-literal', '--force-literal', [CompletionResultType]::ParameterName, 'Allow --set to replace an input that is linked to another node')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch /object_info again instead of using the cached copy')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;convert' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the API format here instead of stdout (- for stdout)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the API format here instead of stdout (- for stdout)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'Positive prompt text (same as -p prompt=TEXT)')
            [CompletionResult]::new('--negative', '--negative', [CompletionResultType]::ParameterName, 'Negative prompt text')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed, or `random`')
            [CompletionResult]::new('--steps', '--steps', [CompletionResultType]::ParameterName, 'Sampling steps')
            [CompletionResult]::new('--cfg', '--cfg', [CompletionResultType]::ParameterName, 'CFG scale')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Image width in pixels')
            [CompletionResult]::new('--height', '--height', [CompletionResultType]::ParameterName, 'Image height in pixels')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)')
            [CompletionResult]::new('--set-json', '--set-json', [CompletionResultType]::ParameterName, 'Set an input to a JSON value: NODE.input=JSON')
            [CompletionResult]::new('--object-info', '--object-info', [CompletionResultType]::ParameterName, 'Validate against this saved /object_info file instead of asking the server')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace --output if it exists')
            [CompletionResult]::new('--no-embed-workflow', '--no-embed-workflow', [CompletionResultType]::ParameterName, 'Do not embed the editor workflow (only matters with --prompt-body)')
            [CompletionResult]::new('--prompt-body', '--prompt-body', [CompletionResultType]::ParameterName, 'Write a whole /prompt body ({"prompt": …, "extra_data": …}) instead of the bare prompt')
            [CompletionResult]::new('--randomize-seed', '--randomize-seed', [CompletionResultType]::ParameterName, 'Pick a fresh seed for this run (reported on stderr and in --json)')
            [CompletionResult]::new('--force-literal', '--force-literal', [CompletionResultType]::ParameterName, 'Allow --set to replace an input that is linked to another node')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch /object_info again instead of using the cached copy')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;deps' {
            [CompletionResult]::new('--node-map', '--node-map', [CompletionResultType]::ParameterName, 'ComfyUI-Manager''s extension-node-map.json: which pack provides which node type')
            [CompletionResult]::new('--model-list', '--model-list', [CompletionResultType]::ParameterName, 'ComfyUI-Manager''s model-list.json: where to download known models')
            [CompletionResult]::new('--object-info', '--object-info', [CompletionResultType]::ParameterName, 'Validate against this saved /object_info file instead of asking the server')
            [CompletionResult]::new('--models-dir', '--models-dir', [CompletionResultType]::ParameterName, 'With --fix: the ComfyUI models folder to download into (default: the local server''s own folders, from /internal/folder_paths)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch /object_info again instead of using the cached copy')
            [CompletionResult]::new('--fix', '--fix', [CompletionResultType]::ParameterName, 'Install missing node packs (comfy-cli, else the server''s Manager) and download missing models that have a known URL')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'With --fix: print every action without doing any')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'A check that could not run (node definitions refused on Comfy Cloud''s free tier) is a failure instead of a skip')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;watch' {
            [CompletionResult]::new('--prompt-id', '--prompt-id', [CompletionResultType]::ParameterName, 'Follow this job to its end')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Connect as this client (the submitter''s id, so a local server sends its live steps)')
            [CompletionResult]::new('--previews', '--previews', [CompletionResultType]::ParameterName, 'Save every preview frame here')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Comfy Cloud: follow the developer event socket for these patterns (job.completed,job.*,*)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up on a job when the server sends nothing about it for this many seconds')
            [CompletionResult]::new('--reconnect-timeout', '--reconnect-timeout', [CompletionResultType]::ParameterName, 'Wait this long for a server that went away during a job (a restart) before giving up [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]')
            [CompletionResult]::new('--show-size', '--show-size', [CompletionResultType]::ParameterName, 'The box images fit in, in terminal cells [default: the terminal''s size]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--download', '--download', [CompletionResultType]::ParameterName, 'With --prompt-id: download the outputs like run does (else print their URLs)')
            [CompletionResult]::new('--flat-output', '--flat-output', [CompletionResultType]::ParameterName, 'Save files directly in the output dir, ignoring server subfolders')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace existing files instead of saving as name-1.ext')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object with the result on stdout')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Print every event as a JSON line on stdout, the result last')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars, even on a terminal')
            [CompletionResult]::new('--show', '--show', [CompletionResultType]::ParameterName, 'Draw images in the terminal (kitty, iTerm2, sixel, else half-blocks) on a terminal only, never with --json/--jsonl/-q [profile: show]')
            [CompletionResult]::new('--no-show', '--no-show', [CompletionResultType]::ParameterName, 'Draw no images, even when the profile says show = true')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;queue' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove every pending job (asks first)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'comfyctl;queue;clear' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;queue;help' {
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove every pending job (asks first)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'comfyctl;queue;help;clear' {
            break
        }
        'comfyctl;queue;help;help' {
            break
        }
        'comfyctl;cancel' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;health' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--smoke', '--smoke', [CompletionResultType]::ParameterName, 'Run a tiny model-free workflow end to end and check its image')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before the smoke test on Comfy Cloud (it costs credits)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before the smoke test on Comfy Cloud (it costs credits)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;logs' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many jobs to list')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many jobs to list')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The server''s own log (/internal/logs/raw)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'With --server: keep printing new lines until Ctrl-C')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'With --server: keep printing new lines until Ctrl-C')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (JSON Lines with --server)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;hw' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Measure free disk here (default: the current directory)')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Measure free disk here (default: the current directory)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--torch', '--torch', [CompletionResultType]::ParameterName, 'Also run a PyTorch probe with the python on PATH')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;setup' {
            [CompletionResult]::new('--workspace', '--workspace', [CompletionResultType]::ParameterName, 'Where ComfyUI lives [default: the platform data dir, e.g. ~/.local/share/comfyctl/ComfyUI]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port the server listens on (127.0.0.1 only)')
            [CompletionResult]::new('--profile-name', '--profile-name', [CompletionResultType]::ParameterName, 'Name of the profile to write')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Seconds to wait for the server to answer after starting it')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--cpu', '--cpu', [CompletionResultType]::ParameterName, 'Install for the CPU even when a GPU is found')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print each step (and its command) without doing any')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object with every step')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;config' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved settings (secrets redacted) and where each came from')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file path')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'comfyctl;config;show' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;config;path' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;config;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved settings (secrets redacted) and where each came from')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file path')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'comfyctl;config;help;show' {
            break
        }
        'comfyctl;config;help;path' {
            break
        }
        'comfyctl;config;help;help' {
            break
        }
        'comfyctl;completions' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;report' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the page here (- for stdout) [default: DIR/report.html]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the page here (- for stdout) [default: DIR/report.html]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object (path and counts) instead of the path')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;mcp' {
            [CompletionResult]::new('--workflows', '--workflows', [CompletionResultType]::ParameterName, 'Each workflow file in DIR becomes a tool of its own (rescanned when files change)')
            [CompletionResult]::new('--inputs', '--inputs', [CompletionResultType]::ParameterName, 'Input files the agent names are read from this directory only')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where outputs are saved [default: the profile''s output dir]')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Where outputs are saved [default: the profile''s output dir]')
            [CompletionResult]::new('--max-jobs', '--max-jobs', [CompletionResultType]::ParameterName, 'The most jobs this session may submit')
            [CompletionResult]::new('--deny-nodes', '--deny-nodes', [CompletionResultType]::ParameterName, 'Node types no workflow may use, comma-separated (a trailing * matches a prefix)')
            [CompletionResult]::new('--object-info', '--object-info', [CompletionResultType]::ParameterName, 'Node definitions (a saved /object_info) for servers that serve none — the Comfy API v2: they check workflows, convert editor ones and rule out paid API nodes there')
            [CompletionResult]::new('--thumbnail-px', '--thumbnail-px', [CompletionResultType]::ParameterName, 'Longest side of the thumbnails returned as image content, in pixels')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up on a job when the server sends nothing about it for this many seconds')
            [CompletionResult]::new('--reconnect-timeout', '--reconnect-timeout', [CompletionResultType]::ParameterName, 'Wait this long for a server that went away during a job (a restart) before giving up [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr (NO_COLOR is respected)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Which API to drive the server through: native (ComfyUI''s own), v1 (Comfy Cloud''s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]')
            [CompletionResult]::new('--allow-spending', '--allow-spending', [CompletionResultType]::ParameterName, 'Allow jobs that cost money without asking: Comfy Cloud, and paid API (partner) nodes')
            [CompletionResult]::new('--allow-install', '--allow-install', [CompletionResultType]::ParameterName, 'Let the deps tool install missing node packs and download models (its `fix` argument)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors (and data on stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print every request and server message on stderr')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'comfyctl;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a workflow (API or editor format), follow it, and save its outputs')
            [CompletionResult]::new('params', 'params', [CompletionResultType]::ParameterValue, 'List a workflow''s friendly parameters, models, embeddings and outputs')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Run a workflow many times: counts and parameter sweeps, in parallel, across servers')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check a workflow (and parameters) against the server''s node definitions without running it')
            [CompletionResult]::new('convert', 'convert', [CompletionResultType]::ParameterValue, 'Convert an editor-saved (UI-format) workflow to API format')
            [CompletionResult]::new('deps', 'deps', [CompletionResultType]::ParameterValue, 'What a workflow needs that the server lacks (nodes, models, embeddings, inputs) and how to get it')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Live view of a server, or follow one job to its end (saving previews and outputs)')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'Running and pending jobs; `queue clear` removes the pending ones')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Stop jobs: interrupt a running one, remove a pending one')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Is the server working: a checklist, and with --smoke a real round trip')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Why a prompt failed (or whether it still runs), the last jobs, or the server''s log')
            [CompletionResult]::new('hw', 'hw', [CompletionResultType]::ParameterValue, 'What this machine can run: OS, CPU, RAM, disk, GPUs, and which model families fit')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Get a local ComfyUI running: comfy-cli, ComfyUI, a background server, a `local` profile')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show the resolved settings or where the config file lives')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Write an HTML page for a batch folder: thumbnails, parameters, errors, filters, grid')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve every tool and workflow to AI agents over the Model Context Protocol (stdio)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'comfyctl;help;run' {
            break
        }
        'comfyctl;help;params' {
            break
        }
        'comfyctl;help;batch' {
            break
        }
        'comfyctl;help;validate' {
            break
        }
        'comfyctl;help;convert' {
            break
        }
        'comfyctl;help;deps' {
            break
        }
        'comfyctl;help;watch' {
            break
        }
        'comfyctl;help;queue' {
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove every pending job (asks first)')
            break
        }
        'comfyctl;help;queue;clear' {
            break
        }
        'comfyctl;help;cancel' {
            break
        }
        'comfyctl;help;health' {
            break
        }
        'comfyctl;help;logs' {
            break
        }
        'comfyctl;help;hw' {
            break
        }
        'comfyctl;help;setup' {
            break
        }
        'comfyctl;help;config' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the resolved settings (secrets redacted) and where each came from')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file path')
            break
        }
        'comfyctl;help;config;show' {
            break
        }
        'comfyctl;help;config;path' {
            break
        }
        'comfyctl;help;completions' {
            break
        }
        'comfyctl;help;report' {
            break
        }
        'comfyctl;help;mcp' {
            break
        }
        'comfyctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
