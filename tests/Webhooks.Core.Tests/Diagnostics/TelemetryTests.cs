using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Webhooks.Core.Diagnostics;
using Webhooks.Core.Tests.Delivery;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Diagnostics;

/// <summary>What the library emits on the BCL primitives, read as an OpenTelemetry exporter would.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Metrics_CountPublishesAndAttemptsByOutcome_WithBoundedTags()
    {
        await using var ok = await TestReceiver.StartAsync();
        await using var failing = await TestReceiver.StartAsync();
        await using var gone = await TestReceiver.StartAsync();
        failing.Responder = (ctx, _) => { ctx.Response.StatusCode = 503; return Task.CompletedTask; };
        gone.Responder = (ctx, _) => { ctx.Response.StatusCode = 410; return Task.CompletedTask; };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.RetrySchedule = [TimeSpan.FromHours(1)]);
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var published = new MetricCollector<long>(factory, WebhookDiagnostics.MeterName, "webhooks.messages.published");
        using var attempts = new MetricCollector<long>(factory, WebhookDiagnostics.MeterName, "webhooks.delivery.attempts");
        using var durations = new MetricCollector<double>(factory, WebhookDiagnostics.MeterName, "webhooks.delivery.attempt.duration");
        using var latency = new MetricCollector<double>(factory, WebhookDiagnostics.MeterName, "webhooks.delivery.latency");
        using var disabled = new MetricCollector<long>(factory, WebhookDiagnostics.MeterName, "webhooks.subscriptions.disabled");
        var subs = new[]
        {
            await DeliveryTests.Subscribe(host, ok.Url(), ["order.created"], owner: "tenant-1"),
            await DeliveryTests.Subscribe(host, failing.Url(), ["order.created"], owner: "tenant-1"),
            await DeliveryTests.Subscribe(host, gone.Url(), ["order.created"], owner: "tenant-1"),
        };

        await host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { Owner = "tenant-1" });
        await Eventually.TrueAsync(() => Task.FromResult(attempts.GetMeasurementSnapshot().Count == 3 && disabled.GetMeasurementSnapshot().Count == 1), "three attempts and one disable");

        published.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags["webhook.event_type"].Should().Be("order.created");
        var byOutcome = attempts.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["webhook.outcome"]!);
        byOutcome.Keys.Should().BeEquivalentTo(["succeeded", "retrying", "failed"]);
        byOutcome["succeeded"].Tags["http.response.status_code"].Should().Be(200);
        byOutcome["retrying"].Tags["http.response.status_code"].Should().Be(503);
        byOutcome["failed"].Tags["http.response.status_code"].Should().Be(410);
        durations.GetMeasurementSnapshot().Should().HaveCount(3).And.OnlyContain(m => (string)m.Tags["server.address"]! == "127.0.0.1" && m.Value >= 0);
        latency.GetMeasurementSnapshot().Should().ContainSingle("only the successful delivery has a latency").Which.Tags["webhook.event_type"].Should().Be("order.created");
        disabled.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags["webhook.disable_reason"].Should().Be("gone");

        var everyTagValue = attempts.GetMeasurementSnapshot().Concat(published.GetMeasurementSnapshot()).Concat(disabled.GetMeasurementSnapshot())
            .SelectMany(m => m.Tags.Values).Concat(durations.GetMeasurementSnapshot().Concat(latency.GetMeasurementSnapshot()).SelectMany(m => m.Tags.Values))
            .Select(v => v?.ToString() ?? "").ToList();
        everyTagValue.Should().NotContain(v => v.Contains("tenant-1") || v.Contains("http://") || subs.Any(s => v.Contains(s.Subscription.Id) || v.Contains(s.Secret)),
            "no owner, URL, subscription id or secret as a tag: their cardinality is unbounded");
    }

    [Fact]
    public async Task Metrics_NoAnswer_TaggedWithErrorTypeNotStatus()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.RetrySchedule = []);
        using var attempts = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), WebhookDiagnostics.MeterName, "webhooks.delivery.attempts");
        await DeliveryTests.Subscribe(host, "http://127.0.0.1:1/closed", ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var m = await Eventually.GetAsync(() => Task.FromResult(attempts.GetMeasurementSnapshot() is { Count: > 0 } s ? s[0] : null), "the attempt");
        m.Tags["webhook.outcome"].Should().Be("failed");
        m.Tags["error.type"].Should().Be("connection_failed");
        m.Tags.Should().NotContainKey("http.response.status_code");
    }

    [Fact]
    public async Task Traces_PublishSpanChildOfCaller_SendSpanLinkedToIt_TraceparentReachesTheReceiver()
    {
        var spans = new List<Activity>();
        using var listener = Listen(spans);
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, n) => { ctx.Response.StatusCode = n == 1 ? 500 : 200; return Task.CompletedTask; };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.RetrySchedule = [TimeSpan.FromMilliseconds(50)]);
        await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        using var caller = new Activity("place order").Start();
        var published = await host.Publisher.PublishAsync("order.created", new { id = 1 });
        caller.Stop();

        var requests = await receiver.WaitForAsync(2);

        // The listener hears every test's hosts: keep this message's spans only.
        List<Activity> Mine() => [.. Snapshot(spans).Where(s => Equals(s.GetTagItem("webhook.message_id"), published.MessageId))];
        await Eventually.TrueAsync(() => Task.FromResult(Mine().Count(s => s.OperationName == "webhook send order.created") >= 2), "two send spans");
        var all = Mine();
        var publish = all.Single(s => s.OperationName == "webhook publish order.created");
        publish.Kind.Should().Be(ActivityKind.Producer);
        publish.ParentSpanId.Should().Be(caller.SpanId, "the publish span is a child of the caller's activity");
        var sends = all.Where(s => s.OperationName == "webhook send order.created").OrderBy(s => s.StartTimeUtc).ToList();
        foreach (var (send, request, number) in sends.Zip(requests, Enumerable.Range(1, 2)))
        {
            send.Kind.Should().Be(ActivityKind.Client);
            send.Links.Should().ContainSingle().Which.Context.SpanId.Should().Be(publish.SpanId);
            send.GetTagItem("webhook.attempt").Should().Be(number);
            send.GetTagItem("webhook.message_id").Should().Be(published.MessageId);
            send.GetTagItem("server.address").Should().Be("127.0.0.1");
            send.GetTagItem("url.scheme").Should().Be("http");
            send.GetTagItem("http.request.method").Should().Be("POST");
            request.Header("traceparent").Should().Be(send.Id, "the receiver continues the attempt's span");
        }

        sends[0].Status.Should().Be(ActivityStatusCode.Error);
        sends[0].GetTagItem("http.response.status_code").Should().Be(500);
        sends[0].GetTagItem("error.type").Should().Be("500");
        sends[1].Status.Should().Be(ActivityStatusCode.Unset);
    }

    [Fact]
    public async Task Traces_SendTraceContextOff_NoTraceparentHeader()
    {
        var spans = new List<Activity>();
        using var listener = Listen(spans);
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.SendTraceContext = false);
        await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        var published = await host.Publisher.PublishAsync("order.created", new { id = 1 });

        (await receiver.WaitForAsync(1)).Single().Header("traceparent").Should().BeNull();
        await Eventually.TrueAsync(() => Task.FromResult(Snapshot(spans).Any(s => s.OperationName == "webhook send order.created" && Equals(s.GetTagItem("webhook.message_id"), published.MessageId))), "the span to be recorded all the same");
    }

    private static ActivityListener Listen(List<Activity> spans)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == WebhookDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) { spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static List<Activity> Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }
}
