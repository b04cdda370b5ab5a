//! The library's v2 client (`comfyctl::client::v2`) against the fake v2 server: assets with
//! dedup, submit with one key per submission (a lost answer found again, never resubmitted),
//! the event stream read to its end, the end state confirmed by GET, downloads resumed with
//! Range into the output directory, credentials never sent to another host, typed errors.

use crate::common::fake_server::{FakeOptions, FakeServer};
use crate::common::fake_v2::V2Options;
use comfyctl::client::Server;
use comfyctl::client::outputs::SaveOptions;
use comfyctl::client::report::{JobEvent, Reporter};
use comfyctl::client::v2::assets::Delivery;
use comfyctl::client::v2::{ErrorCode, JobStatus, StreamEvent, SubmitRequest, V2Client, V2Error};
use comfyctl::error::ExitStatus;
use comfyctl::secret::Secret;
use serde_json::{Map, Value, json};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "v2-test-token";

fn fake() -> FakeServer {
    FakeServer::start(FakeOptions {
        step_delay: Duration::from_millis(20),
        v2: Some(V2Options {
            token: Some(TOKEN.into()),
            keepalive: Duration::from_millis(500),
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn client(url: &str, token: Option<&str>) -> V2Client {
    let flags = comfyctl::settings::FlagSettings {
        url: Some(url.to_string()),
        ..Default::default()
    };
    let mut settings =
        comfyctl::settings::resolve(&flags, &Default::default(), None, None).unwrap();
    settings.api_key = token.map(|t| ("Authorization".to_string(), Secret::new(t)));
    let mut server = Server::new(&settings, None).unwrap();
    server.retry.base = Duration::from_millis(20);
    V2Client::new(server)
}

#[derive(Default)]
struct Events(Vec<JobEvent>);

impl Reporter for Events {
    fn report(&mut self, e: JobEvent) {
        self.0.push(e);
    }
}

fn invert(image: Value) -> Map<String, Value> {
    json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": image}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "v2c/inv"}}
    })
    .as_object()
    .unwrap()
    .clone()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Upload once (then by hash), submit with the asset reference, read the stream to its end,
/// confirm the end with GET, and save the output with its subfolder.
#[test]
fn a_job_end_to_end_over_v2() {
    let srv = fake();
    let v2 = client(&srv.v2_url(), Some(TOKEN));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bars.png");
    std::fs::write(&input, FakeServer::default_output()).unwrap();
    rt().block_on(async {
        let (a1, how1) = v2.ensure_asset(&input, "bars.png").await.unwrap();
        let (a2, how2) = v2.ensure_asset(&input, "bars.png").await.unwrap();
        assert_eq!((how1, how2), (Delivery::Uploaded, Delivery::Deduplicated));
        assert_eq!(a1.id, a2.id);
        let uploads = srv
            .v2()
            .requests()
            .iter()
            .filter(|(r, _)| r == "POST /api/v2/assets")
            .count();
        assert_eq!(uploads, 1, "the same bytes went up twice");

        let job = v2
            .submit(&SubmitRequest::new(invert(a1.reference())))
            .await
            .unwrap();
        assert_eq!(job.status, JobStatus::Queued);
        let mut stream = v2.events(&job.id).await.unwrap();
        let mut seen = Vec::new();
        while let Some(ev) = stream.next().await.unwrap() {
            seen.push(ev);
        }
        assert!(matches!(seen[0], StreamEvent::Status { .. }), "{seen:?}");
        let end = v2
            .confirm_end(&job.id, 3, Duration::from_millis(50))
            .await
            .unwrap();
        assert_eq!(end.status, JobStatus::Succeeded);
        assert_eq!(end.outputs.len(), 1);
        let wf = v2.workflow(&job.id).await.unwrap();
        assert_eq!(wf.workflow["1"]["inputs"]["image"], "bars.png");

        let opts = SaveOptions {
            output_dir: dir.path().join("out"),
            flat: false,
            overwrite: false,
        };
        let mut events = Events::default();
        let saved = v2
            .download_output(
                &end.outputs[0],
                &opts,
                &mut events,
                &CancellationToken::new(),
            )
            .await
            .unwrap();
        assert!(saved.path.ends_with("v2c/inv_00001_.png"), "{saved:?}");
        assert_eq!(
            std::fs::read(&saved.path).unwrap(),
            FakeServer::default_output()
        );
        assert!(events.0.iter().any(|e| matches!(e, JobEvent::Saved { .. })));
        // Never a HEAD on content (it would poison the connection).
        assert!(
            !srv.v2()
                .requests()
                .iter()
                .any(|(r, _)| r.starts_with("HEAD") && r.ends_with("/content"))
        );
    });
}

/// A download cut halfway resumes with `Range` and lands whole; nothing partial is left.
#[test]
fn a_cut_download_resumes_with_range() {
    let srv = fake();
    let v2 = client(&srv.v2_url(), Some(TOKEN));
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let job = v2
            .submit(&SubmitRequest::new(invert(json!("example.png"))))
            .await
            .unwrap();
        let end = loop {
            let j = v2
                .confirm_end(&job.id, 3, Duration::from_millis(20))
                .await
                .unwrap();
            if j.status.is_terminal() {
                break j;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        srv.faults(|f| f.view_truncate = 1);
        let opts = SaveOptions {
            output_dir: dir.path().to_path_buf(),
            flat: true,
            overwrite: false,
        };
        let mut events = Events::default();
        let saved = v2
            .download_output(
                &end.outputs[0],
                &opts,
                &mut events,
                &CancellationToken::new(),
            )
            .await
            .unwrap();
        assert_eq!(
            std::fs::read(&saved.path).unwrap(),
            FakeServer::default_output()
        );
        let ranged: Vec<_> = srv
            .v2()
            .requests()
            .into_iter()
            .filter(|(r, h)| r.ends_with("/content") && h.iter().any(|(k, _)| k == "range"))
            .collect();
        assert_eq!(ranged.len(), 1, "one resumed request");
        let from = &ranged[0].1.iter().find(|(k, _)| k == "range").unwrap().1;
        assert_ne!(from, "bytes=0-");
        assert!(
            events
                .0
                .iter()
                .any(|e| matches!(e, JobEvent::DownloadRetry { .. }))
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    });
}

/// An output URL on another host (a signed URL) gets no key.
#[test]
fn no_key_for_another_host() {
    let srv = fake();
    srv.add_file(
        "output",
        "",
        "signed.png",
        FakeServer::default_output().to_vec(),
    );
    let v2 = client(&srv.v2_url(), Some(TOKEN));
    let dir = tempfile::tempdir().unwrap();
    let out: comfyctl::client::v2::Output = serde_json::from_value(json!({
        "node_id": "9", "name": "signed.png", "type": "image", "size_bytes": 0, "id": "x",
        "hash": null,
        "url": format!("{}/signed?filename=signed.png&subfolder=&type=output&hops=&sig=deadbeef", srv.storage_url()),
    }))
    .unwrap();
    rt().block_on(async {
        let opts = SaveOptions {
            output_dir: dir.path().to_path_buf(),
            flat: false,
            overwrite: false,
        };
        v2.download_output(
            &out,
            &opts,
            &mut Events::default(),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    });
    let reqs = srv.storage_requests();
    assert_eq!(reqs.len(), 1);
    assert!(
        !reqs[0]
            .1
            .iter()
            .any(|(k, v)| k == "authorization" || v.contains(TOKEN)),
        "{reqs:?}"
    );
}

/// 429 with Retry-After is waited out with the same key; a lost answer is found again by its
/// label instead of being submitted twice; a reused key on a first attempt is the caller's.
#[test]
fn submit_retries_with_one_key_and_finds_a_lost_answer() {
    let srv = fake();
    let v2 = client(&srv.v2_url(), Some(TOKEN));
    rt().block_on(async {
        srv.v2().faults(|f| {
            f.reject_next
                .insert("submit".into(), (1, 429, "queue_full".into(), Some(1)));
        });
        let t = std::time::Instant::now();
        let req = SubmitRequest::new(invert(json!("example.png")));
        v2.submit(&req).await.unwrap();
        assert!(
            t.elapsed() >= Duration::from_millis(900),
            "Retry-After was not honoured"
        );
        let keys: Vec<String> = srv
            .v2()
            .requests()
            .iter()
            .filter(|(r, _)| r == "POST /api/v2/jobs")
            .filter_map(|(_, h)| {
                h.iter()
                    .find(|(k, _)| k == "idempotency-key")
                    .map(|(_, v)| v.clone())
            })
            .collect();
        assert_eq!(
            keys,
            [req.idempotency_key.clone(), req.idempotency_key.clone()]
        );

        srv.v2().faults(|f| f.submit_answer_lost = 1);
        let mut req = SubmitRequest::new(invert(json!("example.png")));
        req.label = Some("comfyctl-run-7".into());
        let before = srv.v2().job_ids().len();
        let job = v2.submit(&req).await.unwrap();
        assert_eq!(srv.v2().job_ids().len(), before + 1, "submitted twice");
        assert_eq!(job.metadata, Some(json!("comfyctl-run-7")));
        assert_eq!(srv.v2().job_ids().last().unwrap(), &job.id);

        let e = v2.submit(&req).await.unwrap_err();
        assert_eq!(e.api_code(), Some(&ErrorCode::IdempotencyKeyReuse));
    });
}

/// Errors come back typed, with their exit status and hint.
#[test]
fn errors_are_typed_with_exit_status_and_hint() {
    let srv = fake();
    rt().block_on(async {
        let anon = client(&srv.v2_url(), None);
        anon.health().await.unwrap();
        let e = anon.list_jobs(Some(5), &[]).await.unwrap_err();
        assert_eq!(e.api_code(), Some(&ErrorCode::Unauthorized));
        assert_eq!(e.exit_status(), ExitStatus::Connection);
        assert!(e.hint().unwrap().contains("COMFY_API_KEY"));

        let v2 = client(&srv.v2_url(), Some(TOKEN));
        let bad = json!({"1": {"class_type": "ImageInvert", "inputs": {}},
                         "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}});
        let e = v2
            .submit(&SubmitRequest::new(bad.as_object().unwrap().clone()))
            .await
            .unwrap_err();
        let V2Error::Api(api) = &e else { panic!("{e}") };
        assert_eq!(api.code, ErrorCode::InvalidWorkflow);
        assert_eq!(e.exit_status(), ExitStatus::Rejected);
        let native = api.native_rejection_body().unwrap();
        assert_eq!(
            native["node_errors"]["1"]["errors"][0]["type"],
            "required_input_missing"
        );

        let e = v2
            .job("00000000-0000-4000-8000-000000000000")
            .await
            .unwrap_err();
        assert_eq!(e.api_code(), Some(&ErrorCode::NotFound));

        // Polls that land in the race window are asked again.
        let job = v2
            .submit(&SubmitRequest::new(invert(json!("example.png"))))
            .await
            .unwrap();
        loop {
            if v2.job(&job.id).await.unwrap().status == JobStatus::Succeeded {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        srv.v2().faults(|f| f.poll_expired = 2);
        let end = v2
            .confirm_end(&job.id, 3, Duration::from_millis(10))
            .await
            .unwrap();
        assert_eq!(end.status, JobStatus::Succeeded);

        // Every stream slot taken: a typed 429 with its pace.
        srv.v2().faults(|f| {
            f.reject_next.insert(
                "events".into(),
                (1, 429, "too_many_streams".into(), Some(5)),
            );
        });
        let e = match v2.events(&job.id).await {
            Err(e) => e,
            Ok(_) => panic!("a stream opened"),
        };
        let V2Error::Api(api) = e else { panic!() };
        assert_eq!(api.code, ErrorCode::TooManyStreams);
        assert_eq!(api.retry_after, Some(Duration::from_secs(5)));
    });
}
