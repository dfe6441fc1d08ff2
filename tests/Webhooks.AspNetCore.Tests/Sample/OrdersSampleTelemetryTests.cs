using System.Collections;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Sample;

/// <summary>
/// The Orders sample's OpenTelemetry setup (README "Observability") exports the library's spans and
/// metrics: in-memory exporters are added to the sample's own providers, which choose what to collect.
/// </summary>
public sealed class OrdersSampleTelemetryTests
{
    [Fact]
    public async Task Telemetry_SamplesOpenTelemetryPipeline_ExportsWebhookSpansAndMetrics()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var spans = new Recorded<Activity>();
        var metrics = new Recorded<MetricSnapshot>();
        await using var sample = new OrdersSampleFactory("Development").WithWebHostBuilder(b => b.ConfigureServices(services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics));
        }));
        using var alice = sample.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        alice.DefaultRequestHeaders.Add("X-Api-Key", "alice-dev-key");
        await alice.CreateSubscriptionAsync("traced", receiver.Url("/otel"), "order.created");

        (await alice.PostJsonAsync("/orders", new { customer = "ACME", items = new[] { new { sku = "A-1", quantity = 1, unitPrice = 5m } } }))
            .StatusCode.Should().Be(HttpStatusCode.Created);

        // The listeners are process-wide: find this test's spans through the traceparent the receiver got.
        var delivery = (await receiver.WaitForAsync(1)).Single();
        var messageId = delivery.Header("webhook-id");
        var traceparent = delivery.Header("traceparent");
        traceparent.Should().NotBeNull("the sample samples the attempt's span, so its context goes to the receiver");
        var send = await Eventually.GetAsync(() => Task.FromResult(spans.FirstOrDefault(a => a.Id == traceparent)), "the exported send span");
        send.DisplayName.Should().Be("webhook send order.created");
        send.Kind.Should().Be(ActivityKind.Client);
        send.GetTagItem("webhook.message_id").Should().Be(messageId);
        send.GetTagItem("webhook.attempt").Should().Be(1);
        var publish = await Eventually.GetAsync(
            () => Task.FromResult(spans.FirstOrDefault(a => a.DisplayName == "webhook publish order.created" && Equals(a.GetTagItem("webhook.message_id"), messageId))),
            "the exported publish span");
        publish.Kind.Should().Be(ActivityKind.Producer);
        send.Links.Select(l => l.Context.SpanId).Should().Contain(publish.SpanId, "the attempt links to the publish span");

        // Metrics go out when the reader collects: flush until the attempt is counted (it is recorded
        // after the receiver answered). Other tests' hosts share the meter's name, so only presence is checked.
        var provider = sample.Services.GetRequiredService<MeterProvider>();
        await Eventually.TrueAsync(() =>
        {
            provider.ForceFlush();
            return Task.FromResult(metrics.Any(m => m.Name == "webhooks.delivery.attempts" && m.MetricPoints.Any(p => HasTag(p, "webhook.outcome", "succeeded"))));
        }, "an exported webhooks.delivery.attempts point with outcome succeeded");
        metrics.Select(m => m.Name).Should().Contain(["webhooks.messages.published", "webhooks.delivery.attempt.duration", "webhooks.delivery.latency"]);
        metrics.Where(m => m.Name.StartsWith("webhooks.", StringComparison.Ordinal)).Should().OnlyContain(m => m.MeterName == "Webhooks");
    }

    [Fact]
    public async Task Telemetry_OtlpEndpointSet_SampleStartsAndServes()
    {
        // Nothing listens there: the exporter's failures are its own (logged by OpenTelemetry), never the app's.
        await using var sample = new OrdersSampleFactory("Development", new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });
        using var alice = sample.ClientWithKey("alice-dev-key");

        (await alice.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await alice.PostJsonAsync("/orders", new { customer = "ACME", items = new[] { new { sku = "A-1", quantity = 1, unitPrice = 5m } } }))
            .StatusCode.Should().Be(HttpStatusCode.Created);
    }

    private static bool HasTag(MetricPoint point, string key, string value)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key && Equals(tag.Value, value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A collection the exporters add to while the test reads it.</summary>
    private sealed class Recorded<T> : ICollection<T>
    {
        private readonly Lock _gate = new();
        private readonly List<T> _items = [];

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(T item)
        {
            lock (_gate)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_gate)
            {
                _items.Clear();
            }
        }

        public bool Contains(T item) => Snapshot().Contains(item);

        public void CopyTo(T[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

        public bool Remove(T item)
        {
            lock (_gate)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Snapshot()).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private T[] Snapshot()
        {
            lock (_gate)
            {
                return [.. _items];
            }
        }
    }
}
