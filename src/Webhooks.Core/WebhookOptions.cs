using Webhooks.Core.Delivery;
using Webhooks.Core.Security;
using Webhooks.Core.Signing;

namespace Webhooks.Core;

/// <summary>
/// Settings for publishing and delivery. Bound from configuration (section <c>Webhooks</c> in the
/// samples) and validated when the host starts; every invalid setting is reported with what to fix.
/// </summary>
public sealed class WebhookOptions
{
    /// <summary>Allow <c>http://</c> receiver URLs. Off by default: only <c>https://</c> is accepted.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowHttp { get; set; }

    /// <summary>The signature scheme used by subscriptions that name none.</summary>
    /// <value>The default value is <see cref="WebhookSignatureSchemes.StandardWebhooks"/>.</value>
    public string DefaultSignatureScheme { get; set; } = WebhookSignatureSchemes.StandardWebhooks;

    /// <summary>Header that carries the hex HMAC-SHA256 signature for <see cref="WebhookSignatureSchemes.HmacSha256Hex"/>.</summary>
    /// <value>The default value is <c>X-Webhook-Signature</c>.</value>
    public string HmacSignatureHeader { get; set; } = "X-Webhook-Signature";

    /// <summary>When set, every request carries the event type in this header (seed 004 uses <c>X-Webhook-Action</c>).</summary>
    /// <value>The default value is <see langword="null"/> (not sent).</value>
    public string? EventTypeHeader { get; set; }

    /// <summary>When set, every request carries the subscription's name in this header (seed 004 uses <c>X-Webhook-Name</c>).</summary>
    /// <value>The default value is <see langword="null"/> (not sent).</value>
    public string? SubscriptionNameHeader { get; set; }

    /// <summary>
    /// What a delivery's body holds: the Standard Webhooks envelope <c>{"type","timestamp","data"}</c>,
    /// or only the published data (for products whose receivers expect a bare object, such as
    /// <c>{"entity":"task","id":1}</c>, with the event type in <see cref="EventTypeHeader"/>).
    /// </summary>
    /// <value>The default value is <see cref="WebhookPayloadFormat.Envelope"/>.</value>
    public WebhookPayloadFormat PayloadFormat { get; set; } = WebhookPayloadFormat.Envelope;

    /// <summary>How many attempts run at the same time in one process.</summary>
    /// <value>The default value is 64.</value>
    public int MaxConcurrentDeliveries { get; set; } = 64;

    /// <summary>How long one attempt may take, connect to last response byte read.</summary>
    /// <value>The default value is 15 seconds.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long establishing a connection (DNS, TCP, TLS) may take within an attempt.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most connections open to one receiver (scheme, host and port) at once, so one slow receiver cannot take them all.</summary>
    /// <value>The default value is 16.</value>
    public int MaxConnectionsPerEndpoint { get; set; } = 16;

    /// <summary>The Standard Webhooks schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.</summary>
    public static IReadOnlyList<TimeSpan> DefaultRetrySchedule { get; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>
    /// Delays before each retry, after the first attempt. A delivery gets one attempt plus one per
    /// entry; then it is failed (kept and redeliverable). An empty list means no retries.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>, which uses <see cref="DefaultRetrySchedule"/>.
    /// (Unset rather than pre-filled, so a schedule bound from configuration replaces the default
    /// instead of being appended to it.)
    /// </value>
    public IList<TimeSpan>? RetrySchedule { get; set; }

    /// <summary>Random spread applied to each retry delay, as a fraction (0.2 = ±20%).</summary>
    /// <value>The default value is 0.2.</value>
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>Longest <c>Retry-After</c> (on 429 and 503) honoured; a longer one is capped to this.</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A subscription whose deliveries have all failed for this long is disabled.</summary>
    /// <value>The default value is 5 days.</value>
    public TimeSpan DisableAfterFailingFor { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long an idempotency key given at publish time suppresses a second publish.</summary>
    /// <value>The default value is 24 hours.</value>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often an idle dispatcher looks for due deliveries (it is also woken at once by a publish in this process).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a dispatcher holds a delivery it took; another instance takes it over after this. Must exceed <see cref="AttemptTimeout"/>.</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Largest serialized message (envelope included) a publish accepts.</summary>
    /// <value>The default value is 256 KiB.</value>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>How long the previous secret keeps signing after a rotation, so receivers can switch over.</summary>
    /// <value>The default value is 24 hours.</value>
    public TimeSpan SecretRotationGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long finished deliveries, their attempts and their messages are kept, for stores that can
    /// remove old history (<see cref="IWebhookDeliveryRetention"/>); <see langword="null"/> keeps everything.
    /// Attempt statistics reach back no further than this.
    /// </summary>
    /// <value>The default value is 30 days.</value>
    public TimeSpan? RetentionPeriod { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often old history is removed (see <see cref="RetentionPeriod"/>).</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many deliveries one retention step removes, so a large backlog is removed in short steps.</summary>
    /// <value>The default value is 1,000.</value>
    public int RetentionBatchSize { get; set; } = 1000;

    /// <summary>The hosted dispatcher: whether this process sends (<c>Webhooks:Dispatcher:Enabled</c>).</summary>
    /// <value>By default the hosted dispatcher runs.</value>
    public WebhookDispatcherOptions Dispatcher { get; set; } = new();

    /// <summary>The per-endpoint circuit breaker (<c>Webhooks:CircuitBreaker</c>).</summary>
    /// <value>On: 10 attempts with half failed within a minute pause the endpoint for 30 s, doubling to 10 minutes.</value>
    public WebhookCircuitBreakerOptions CircuitBreaker { get; set; } = new();

    /// <summary>Most finished deliveries (with their attempts) the in-memory store keeps; the oldest go first. Pending ones are never dropped.</summary>
    /// <value>The default value is 10,000.</value>
    public int InMemoryRetainedDeliveries { get; set; } = 10_000;

    /// <summary>Where deliveries may connect (the SSRF guard): loopback, allow and deny lists, ports. Bound under <c>Webhooks:Network</c>.</summary>
    /// <value>By default private, loopback (except in Development), link-local and other special addresses are blocked; any port.</value>
    public WebhookNetworkOptions Network { get; set; } = new();

    /// <summary>
    /// Whether each delivery carries the W3C <c>traceparent</c> (and <c>tracestate</c>) of its attempt's
    /// span, so a receiver's trace continues the sender's. These headers are not covered by the signature.
    /// </summary>
    /// <value>The default value is <see langword="true"/> (sent only when the attempt is traced).</value>
    public bool SendTraceContext { get; set; } = true;

    /// <summary>The <c>User-Agent</c> sent with every delivery.</summary>
    /// <value>The default value is <c>Webhooks.Core/1.0</c>.</value>
    public string UserAgent { get; set; } = "Webhooks.Core/1.0";
}

/// <summary>What a delivery's body holds (<see cref="WebhookOptions.PayloadFormat"/>).</summary>
public enum WebhookPayloadFormat
{
    /// <summary>The Standard Webhooks envelope <c>{"type","timestamp","data"}</c>.</summary>
    Envelope,

    /// <summary>Only the published data, as serialized; the event type travels in a header (<see cref="WebhookOptions.EventTypeHeader"/>) when the receiver needs it.</summary>
    Data,
}
