# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_comfyctl_global_optspecs
    string join \n profile= url= q/quiet v/verbose color= insecure api= h/help V/version
end

function __fish_comfyctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_comfyctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_comfyctl_using_subcommand
    set -l cmd (__fish_comfyctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c comfyctl -n "__fish_comfyctl_needs_command" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_needs_command" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_needs_command" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_needs_command" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_needs_command" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "run" -d 'Run a workflow (API or editor format), follow it, and save its outputs'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "params" -d 'List a workflow\'s friendly parameters, models, embeddings and outputs'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "batch" -d 'Run a workflow many times: counts and parameter sweeps, in parallel, across servers'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "validate" -d 'Check a workflow (and parameters) against the server\'s node definitions without running it'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "convert" -d 'Convert an editor-saved (UI-format) workflow to API format'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "deps" -d 'What a workflow needs that the server lacks (nodes, models, embeddings, inputs) and how to get it'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "watch" -d 'Live view of a server, or follow one job to its end (saving previews and outputs)'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "queue" -d 'Running and pending jobs; `queue clear` removes the pending ones'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "cancel" -d 'Stop jobs: interrupt a running one, remove a pending one'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "health" -d 'Is the server working: a checklist, and with --smoke a real round trip'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "logs" -d 'Why a prompt failed (or whether it still runs), the last jobs, or the server\'s log'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "hw" -d 'What this machine can run: OS, CPU, RAM, disk, GPUs, and which model families fit'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "setup" -d 'Get a local ComfyUI running: comfy-cli, ComfyUI, a background server, a `local` profile'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "config" -d 'Show the resolved settings or where the config file lives'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "report" -d 'Write an HTML page for a batch folder: thumbnails, parameters, errors, filters, grid'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "mcp" -d 'Serve every tool and workflow to AI agents over the Model Context Protocol (stdio)'
complete -c comfyctl -n "__fish_comfyctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s p -l param -d 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l prompt -d 'Positive prompt text (same as -p prompt=TEXT)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l negative -d 'Negative prompt text' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l seed -d 'Seed, or `random`' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l steps -d 'Sampling steps' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l cfg -d 'CFG scale' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l width -d 'Image width in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l height -d 'Image height in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l set -d 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l set-json -d 'Set an input to a JSON value: NODE.input=JSON' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l image -d 'Upload an image and use it in the first image loader' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l input -d 'Upload an image for a named parameter or loader node: NAME=PATH (image@12=a.png, "Style image=b.png")' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l mask -d 'Upload a mask: to the mask loader, or onto the --image (its alpha becomes the mask)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l object-info -d 'Validate against this saved /object_info file instead of asking the server' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l partner-key -d 'Key for partner (API) nodes, sent in extra_data.api_key_comfy_org; prefer the env var, since a command line is visible to other users' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l timeout -d 'Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l idle-timeout -d 'Give up on a job when the server sends nothing about it for this many seconds' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l reconnect-timeout -d 'Wait this long for a server that went away during a job (a restart) before giving up [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s o -l output-dir -d 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l show-size -d 'The box images fit in, in terminal cells [default: the terminal\'s size]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l randomize-seed -d 'Pick a fresh seed for this run (reported on stderr and in --json)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l force-literal -d 'Allow --set to replace an input that is linked to another node'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l replace-inputs -d 'Replace a different file of the same name on the server (default: the server renames ours)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l refresh -d 'Fetch /object_info again instead of using the cached copy'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l no-validate -d 'Send the prompt without checking it against the server\'s node definitions first'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l detach -d 'Submit and exit at once: print the prompt id (and client id) instead of following the job'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l no-embed-workflow -d 'Do not embed an editor workflow in the submission (saved PNGs then lack it)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l allow-partial -d 'Exit 0 even when the server dropped outputs that failed validation'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l flat-output -d 'Save files directly in the output dir, ignoring server subfolders'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l overwrite -d 'Replace existing files instead of saving as name-1.ext'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l print-prompt -d 'Print the final prompt JSON and exit without contacting the server'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l no-download -d 'Do not download; print each output\'s /view URL on stdout'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l json -d 'Print one JSON object with the result on stdout'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l jsonl -d 'Print every event as a JSON line on stdout, the result last'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l no-progress -d 'No progress bars, even on a terminal'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l show -d 'Draw images in the terminal (kitty, iTerm2, sixel, else half-blocks) on a terminal only, never with --json/--jsonl/-q [profile: show]'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l no-show -d 'Draw no images, even when the profile says show = true'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand run" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -s p -l param -d 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l prompt -d 'Positive prompt text (same as -p prompt=TEXT)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l negative -d 'Negative prompt text' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l seed -d 'Seed, or `random`' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l steps -d 'Sampling steps' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l cfg -d 'CFG scale' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l width -d 'Image width in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l height -d 'Image height in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l set -d 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l set-json -d 'Set an input to a JSON value: NODE.input=JSON' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l object-info -d 'Validate against this saved /object_info file instead of asking the server' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l randomize-seed -d 'Pick a fresh seed for this run (reported on stderr and in --json)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l force-literal -d 'Allow --set to replace an input that is linked to another node'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l refresh -d 'Fetch /object_info again instead of using the cached copy'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l print-prompt -d 'Print the prompt JSON after applying parameters instead of the listing'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l json -d 'Print one JSON object'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand params" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -s p -l param -d 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l prompt -d 'Positive prompt text (same as -p prompt=TEXT)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l negative -d 'Negative prompt text' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l seed -d 'Seed, or `random`' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l steps -d 'Sampling steps' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l cfg -d 'CFG scale' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l width -d 'Image width in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l height -d 'Image height in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l set -d 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l set-json -d 'Set an input to a JSON value: NODE.input=JSON' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l image -d 'Upload an image and use it in the first image loader' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l input -d 'Upload an image for a named parameter or loader node: NAME=PATH (image@12=a.png, "Style image=b.png")' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l mask -d 'Upload a mask: to the mask loader, or onto the --image (its alpha becomes the mask)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l object-info -d 'Validate against this saved /object_info file instead of asking the server' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l count -d 'Run every combination this many times' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l seed-mode -d 'Seeds across --count repetitions: increment (the workflow\'s seed + n), random, or fixed' -r -f -a "increment\t'The workflow\'s seed plus the repetition number'
random\t'A fresh seed per repetition'
fixed\t'The workflow\'s seed every time'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l sweep -d 'Sweep a parameter: NAME=V1,V2,… or a range START..END[:STEP] (repeat for a cartesian product)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l params-file -d 'One job per row: CSV with a header of parameter names, or JSON Lines' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l resume -d 'Finish the batch in DIR: run only the jobs without a successful line in its batch.jsonl (the batch\'s own arguments may be repeated: they must match its plan)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -s j -l jobs -d 'Jobs in flight per server [default: 2 locally, the profile\'s `jobs` on Comfy Cloud]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l partner-key -d 'Key for partner (API) nodes, sent in extra_data.api_key_comfy_org; prefer the env var, since a command line is visible to other users' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l timeout -d 'Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l idle-timeout -d 'Give up on a job when the server sends nothing about it for this many seconds' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l reconnect-timeout -d 'Wait this long for a server that went away during a job (a restart) before giving up [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -s o -l output-dir -d 'The batch directory [default: a new batch-DATE-TIME folder in the output dir]' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l name -d 'Folder name of each job: fields {index}, {seed}, {rep} and every swept parameter' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l grid -d 'Draw a contact sheet of each job\'s first image (an X/Y plot for one or two sweeps)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l report -d 'Write the batch\'s report page here (an HTML file, kept current while the batch runs)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l show-size -d 'The box images fit in, in terminal cells [default: the terminal\'s size]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l randomize-seed -d 'Pick a fresh seed for this run (reported on stderr and in --json)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l force-literal -d 'Allow --set to replace an input that is linked to another node'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l replace-inputs -d 'Replace a different file of the same name on the server (default: the server renames ours)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l refresh -d 'Fetch /object_info again instead of using the cached copy'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l zip -d 'Pair the sweeps\' values (first with first, …) instead of every combination'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l dry-run -d 'List the jobs and exit without contacting a server'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l fail-fast -d 'Stop at the first failed job (running jobs of this batch are interrupted)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l no-validate -d 'Send the prompt without checking it against the server\'s node definitions first'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l flat-output -d 'Save files directly in each job\'s folder, ignoring server subfolders'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l json -d 'Print one JSON object with the result on stdout'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l jsonl -d 'Print every event as a JSON line on stdout, the result last'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l no-progress -d 'No progress bars, even on a terminal'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l show -d 'Draw images in the terminal (kitty, iTerm2, sixel, else half-blocks) on a terminal only, never with --json/--jsonl/-q [profile: show]'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l no-show -d 'Draw no images, even when the profile says show = true'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand batch" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -s p -l param -d 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l prompt -d 'Positive prompt text (same as -p prompt=TEXT)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l negative -d 'Negative prompt text' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l seed -d 'Seed, or `random`' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l steps -d 'Sampling steps' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l cfg -d 'CFG scale' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l width -d 'Image width in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l height -d 'Image height in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l set -d 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l set-json -d 'Set an input to a JSON value: NODE.input=JSON' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l object-info -d 'Validate against this saved /object_info file instead of asking the server' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l randomize-seed -d 'Pick a fresh seed for this run (reported on stderr and in --json)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l force-literal -d 'Allow --set to replace an input that is linked to another node'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l refresh -d 'Fetch /object_info again instead of using the cached copy'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l json -d 'Print one JSON object'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand validate" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -s o -l output -d 'Write the API format here instead of stdout (- for stdout)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -s p -l param -d 'Set a parameter: NAME=VALUE (prompt, seed, steps, …; NAME@NODE for one node; NODE.input=VALUE for any input)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l prompt -d 'Positive prompt text (same as -p prompt=TEXT)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l negative -d 'Negative prompt text' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l seed -d 'Seed, or `random`' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l steps -d 'Sampling steps' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l cfg -d 'CFG scale' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l width -d 'Image width in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l height -d 'Image height in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l set -d 'Set an input: NODE.input=VALUE (typed like the current value; NODE is an id or a unique title)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l set-json -d 'Set an input to a JSON value: NODE.input=JSON' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l object-info -d 'Validate against this saved /object_info file instead of asking the server' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l force -d 'Replace --output if it exists'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l no-embed-workflow -d 'Do not embed the editor workflow (only matters with --prompt-body)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l prompt-body -d 'Write a whole /prompt body ({"prompt": …, "extra_data": …}) instead of the bare prompt'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l randomize-seed -d 'Pick a fresh seed for this run (reported on stderr and in --json)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l force-literal -d 'Allow --set to replace an input that is linked to another node'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l refresh -d 'Fetch /object_info again instead of using the cached copy'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand convert" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l node-map -d 'ComfyUI-Manager\'s extension-node-map.json: which pack provides which node type' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l model-list -d 'ComfyUI-Manager\'s model-list.json: where to download known models' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l object-info -d 'Validate against this saved /object_info file instead of asking the server' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l models-dir -d 'With --fix: the ComfyUI models folder to download into (default: the local server\'s own folders, from /internal/folder_paths)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l refresh -d 'Fetch /object_info again instead of using the cached copy'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l fix -d 'Install missing node packs (comfy-cli, else the server\'s Manager) and download missing models that have a known URL'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l dry-run -d 'With --fix: print every action without doing any'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l strict -d 'A check that could not run (node definitions refused on Comfy Cloud\'s free tier) is a failure instead of a skip'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l json -d 'Print one JSON object'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand deps" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l prompt-id -d 'Follow this job to its end' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l client-id -d 'Connect as this client (the submitter\'s id, so a local server sends its live steps)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l previews -d 'Save every preview frame here' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l events -d 'Comfy Cloud: follow the developer event socket for these patterns (job.completed,job.*,*)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -s o -l output-dir -d 'Where to save outputs [env: COMFYCTL_OUTPUT_DIR] [default: ./outputs]' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l timeout -d 'Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l idle-timeout -d 'Give up on a job when the server sends nothing about it for this many seconds' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l reconnect-timeout -d 'Wait this long for a server that went away during a job (a restart) before giving up [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l show-size -d 'The box images fit in, in terminal cells [default: the terminal\'s size]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l download -d 'With --prompt-id: download the outputs like run does (else print their URLs)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l flat-output -d 'Save files directly in the output dir, ignoring server subfolders'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l overwrite -d 'Replace existing files instead of saving as name-1.ext'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l json -d 'Print one JSON object with the result on stdout'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l jsonl -d 'Print every event as a JSON line on stdout, the result last'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l no-progress -d 'No progress bars, even on a terminal'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l show -d 'Draw images in the terminal (kitty, iTerm2, sixel, else half-blocks) on a terminal only, never with --json/--jsonl/-q [profile: show]'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l no-show -d 'Draw no images, even when the profile says show = true'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand watch" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -l json -d 'Print one JSON object'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -f -a "clear" -d 'Remove every pending job (asks first)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and not __fish_seen_subcommand_from clear help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -s y -l yes -d 'Do not ask'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from clear" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Remove every pending job (asks first)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -l json -d 'Print one JSON object'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand cancel" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -l smoke -d 'Run a tiny model-free workflow end to end and check its image'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -s y -l yes -d 'Do not ask before the smoke test on Comfy Cloud (it costs credits)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -l json -d 'Print one JSON object'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand health" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -s n -l limit -d 'How many jobs to list' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -l server -d 'The server\'s own log (/internal/logs/raw)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -s f -l follow -d 'With --server: keep printing new lines until Ctrl-C'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -l json -d 'Print JSON (JSON Lines with --server)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand logs" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -s o -l output-dir -d 'Measure free disk here (default: the current directory)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -l torch -d 'Also run a PyTorch probe with the python on PATH'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -l json -d 'Print one JSON object'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand hw" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l workspace -d 'Where ComfyUI lives [default: the platform data dir, e.g. ~/.local/share/comfyctl/ComfyUI]' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l port -d 'Port the server listens on (127.0.0.1 only)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l profile-name -d 'Name of the profile to write' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l wait -d 'Seconds to wait for the server to answer after starting it' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l cpu -d 'Install for the CPU even when a GPU is found'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l dry-run -d 'Print each step (and its command) without doing any'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l json -d 'Print one JSON object with every step'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand setup" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "show" -d 'Print the resolved settings (secrets redacted) and where each came from'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "path" -d 'Print the config file path'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Print JSON'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the resolved settings (secrets redacted) and where each came from'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the config file path'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -s o -l output -d 'Write the page here (- for stdout) [default: DIR/report.html]' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -l json -d 'Print one JSON object (path and counts) instead of the path'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand report" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l workflows -d 'Each workflow file in DIR becomes a tool of its own (rescanned when files change)' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l inputs -d 'Input files the agent names are read from this directory only' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -s o -l output-dir -d 'Where outputs are saved [default: the profile\'s output dir]' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l max-jobs -d 'The most jobs this session may submit' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l deny-nodes -d 'Node types no workflow may use, comma-separated (a trailing * matches a prefix)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l object-info -d 'Node definitions (a saved /object_info) for servers that serve none — the Comfy API v2: they check workflows, convert editor ones and rule out paid API nodes there' -r -F
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l thumbnail-px -d 'Longest side of the thumbnails returned as image content, in pixels' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l timeout -d 'Give up on a job after this many seconds in total [env: COMFYCTL_TIMEOUT]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l idle-timeout -d 'Give up on a job when the server sends nothing about it for this many seconds' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l reconnect-timeout -d 'Wait this long for a server that went away during a job (a restart) before giving up [env: COMFYCTL_RECONNECT_TIMEOUT] [default: 300]' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l profile -d 'Profile from the config file [env: COMFYCTL_PROFILE] (batch: repeat to use several servers)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l url -d 'Server URL, e.g. http://127.0.0.1:8188 [env: COMFYCTL_URL] (batch: repeat for several)' -r
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l color -d 'When to use colour on stderr (NO_COLOR is respected)' -r -f -a "auto\t'Colour when stderr is a terminal and `NO_COLOR` is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l api -d 'Which API to drive the server through: native (ComfyUI\'s own), v1 (Comfy Cloud\'s /api), v2 (the Comfy API v2: Comfy Cloud, serverless deployments, comfy-api-proxy) or auto (ask the server once) [env: COMFYCTL_API] [default: auto]' -r -f -a "native\t''
v1\t''
v2\t''
auto\t''"
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l allow-spending -d 'Allow jobs that cost money without asking: Comfy Cloud, and paid API (partner) nodes'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l allow-install -d 'Let the deps tool install missing node packs and download models (its `fix` argument)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -s q -l quiet -d 'Only print errors (and data on stdout)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -s v -l verbose -d 'Print every request and server message on stderr'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -l insecure -d 'Accept any TLS certificate from the server (a self-signed one you trust); warns every time'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand mcp" -s V -l version -d 'Print version'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "run" -d 'Run a workflow (API or editor format), follow it, and save its outputs'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "params" -d 'List a workflow\'s friendly parameters, models, embeddings and outputs'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "batch" -d 'Run a workflow many times: counts and parameter sweeps, in parallel, across servers'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "validate" -d 'Check a workflow (and parameters) against the server\'s node definitions without running it'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "convert" -d 'Convert an editor-saved (UI-format) workflow to API format'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "deps" -d 'What a workflow needs that the server lacks (nodes, models, embeddings, inputs) and how to get it'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "watch" -d 'Live view of a server, or follow one job to its end (saving previews and outputs)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "queue" -d 'Running and pending jobs; `queue clear` removes the pending ones'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "cancel" -d 'Stop jobs: interrupt a running one, remove a pending one'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "health" -d 'Is the server working: a checklist, and with --smoke a real round trip'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "logs" -d 'Why a prompt failed (or whether it still runs), the last jobs, or the server\'s log'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "hw" -d 'What this machine can run: OS, CPU, RAM, disk, GPUs, and which model families fit'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "setup" -d 'Get a local ComfyUI running: comfy-cli, ComfyUI, a background server, a `local` profile'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "config" -d 'Show the resolved settings or where the config file lives'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "completions" -d 'Print a shell completion script'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "report" -d 'Write an HTML page for a batch folder: thumbnails, parameters, errors, filters, grid'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "mcp" -d 'Serve every tool and workflow to AI agents over the Model Context Protocol (stdio)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and not __fish_seen_subcommand_from run params batch validate convert deps watch queue cancel health logs hw setup config completions report mcp help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "clear" -d 'Remove every pending job (asks first)'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the resolved settings (secrets redacted) and where each came from'
complete -c comfyctl -n "__fish_comfyctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the config file path'
