using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Unicode;
using Microsoft.Extensions.Options;
using Webhooks.Core.Diagnostics;
using Webhooks.Core.Security;
using Webhooks.Core.Signing;

namespace Webhooks.Core.Delivery;

/// <summary>Where and how one request is sent: a subscription's settings, or a test target's.</summary>
internal readonly record struct WebhookTarget(
    string Url,
    WebhookAuth Auth,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyList<string> Secrets,
    string SignatureScheme,
    string? SubscriptionName);

/// <summary>
/// Sends one attempt: shared body bytes, signature, auth and custom headers, a per-attempt
/// timeout, no redirects; reads at most 4 KiB of the answer for the log. Used by the dispatcher
/// and by test sends, so both behave the same.
/// </summary>
internal sealed class WebhookSender(
    IHttpClientFactory httpClientFactory,
    IEnumerable<IWebhookSigner> signers,
    IOptions<WebhookOptions> options,
    TimeProvider time) : IDisposable
{
    public const int ExcerptBytes = 4096;
    private const int DrainBytes = 64 * 1024;

    private HttpMessageInvoker? _invoker;
    private WebhookAttemptTimeouts? _timeouts;
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };
    private readonly Dictionary<string, IWebhookSigner> _signers = signers
        .GroupBy(s => s.Scheme, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    /// <summary>Sends one attempt inside a <c>webhook send {event type}</c> span (kind Client), linked to the publish span.</summary>
    public ValueTask<(WebhookAttempt Attempt, TimeSpan? RetryAfter)> SendAsync(
        WebhookTarget target, WebhookMessage message, int attemptNumber, CancellationToken cancellationToken)
    {
        // Nobody listening (the common case): no span, and no async frame of its own around the send.
        return WebhookTelemetry.Source.HasListeners()
            ? SendTracedAsync(target, message, attemptNumber, cancellationToken)
            : SendCoreAsync(target, message, attemptNumber, null, cancellationToken);
    }

    private async ValueTask<(WebhookAttempt Attempt, TimeSpan? RetryAfter)> SendTracedAsync(
        WebhookTarget target, WebhookMessage message, int attemptNumber, CancellationToken cancellationToken)
    {
        using var activity = StartSendActivity(target, message, attemptNumber);
        var result = await SendCoreAsync(target, message, attemptNumber, activity, cancellationToken).ConfigureAwait(false);
        if (activity is not null)
        {
            var attempt = result.Attempt;
            if (attempt.StatusCode is { } code)
            {
                activity.SetTag("http.response.status_code", code);
            }

            if (!attempt.Succeeded)
            {
                activity.SetTag("error.type", attempt.StatusCode is { } status ? status.ToString(CultureInfo.InvariantCulture) : WebhookTelemetry.ErrorType(attempt.ErrorKind));
                activity.SetStatus(ActivityStatusCode.Error, attempt.Error);
            }
        }

        return result;
    }

    private static Activity? StartSendActivity(WebhookTarget target, WebhookMessage message, int attemptNumber)
    {
        if (!WebhookTelemetry.Source.HasListeners())
        {
            return null;
        }

        ActivityLink[]? links = message.TraceParent is { } parent && ActivityContext.TryParse(parent, message.TraceState, isRemote: true, out var publish)
            ? [new ActivityLink(publish)]
            : null;
        var activity = WebhookTelemetry.Source.StartActivity(ActivityKind.Client, parentContext: default, tags: null, links: links, name: $"webhook send {message.EventType}");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("http.request.method", "POST");
            if (Uri.TryCreate(target.Url, UriKind.Absolute, out var uri))
            {
                activity.SetTag("server.address", uri.Host);
                activity.SetTag("server.port", uri.Port);
                activity.SetTag("url.scheme", uri.Scheme);
            }

            activity.SetTag("webhook.event_type", message.EventType);
            activity.SetTag("webhook.message_id", message.Id);
            activity.SetTag("webhook.attempt", attemptNumber);
        }

        return activity;
    }

    // Pooled: the state machine of the one async frame every attempt runs through is reused, not allocated per attempt.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(WebhookAttempt Attempt, TimeSpan? RetryAfter)> SendCoreAsync(
        WebhookTarget target, WebhookMessage message, int attemptNumber, Activity? activity, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var startedAt = time.GetUtcNow();
        long startTicks = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
        {
            Content = new ReadOnlyMemoryContent(message.Payload),
            Version = System.Net.HttpVersion.Version11,
        };
        request.Content.Headers.ContentType = Json;
        var headers = request.Headers;
        headers.TryAddWithoutValidation("User-Agent", o.UserAgent);
        headers.TryAddWithoutValidation(WebhookHeaders.Id, message.Id);
        headers.TryAddWithoutValidation(WebhookHeaders.Timestamp, startedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        if (o.EventTypeHeader is { } eventHeader)
        {
            headers.TryAddWithoutValidation(eventHeader, message.EventType);
        }

        if (o.SubscriptionNameHeader is { } nameHeader && target.SubscriptionName is { } name)
        {
            headers.TryAddWithoutValidation(nameHeader, HeaderSafe(name));
        }

        foreach (var (key, value) in target.Headers)
        {
            // Validation normally keeps these out; a subscription that skipped it must not inject header lines.
            if (WebhookHeaderRules.CheckCustomHeader(key, value, o) is { } headerProblem)
            {
                return (Failed(WebhookErrorKind.Blocked, headerProblem), null);
            }

            headers.TryAddWithoutValidation(key, value);
        }

        if (AuthHeader(target.Auth) is { } auth)
        {
            if (WebhookHeaderRules.CheckAuthHeader(auth.Name, auth.Value) is { } authProblem)
            {
                return (Failed(WebhookErrorKind.Blocked, authProblem), null);
            }

            headers.TryAddWithoutValidation(auth.Name, auth.Value);
        }

        if (!_signers.TryGetValue(target.SignatureScheme, out var signer))
        {
            // A configuration error, not a network one: retrying cannot fix it, so it fails at once.
            return (Failed(WebhookErrorKind.ProcessingFailed, $"No signer is registered for signature scheme '{target.SignatureScheme}'; register one with AddSigner<T>() or set the subscription's signature scheme to a registered one."), null);
        }

        signer.Sign(new WebhookSigningContext(message.Id, startedAt, message.Payload, target.Secrets), headers);
        if (activity is not null && o.SendTraceContext && activity.Id is { } traceparent)
        {
            // Not covered by the signature: a receiver must not trust it for anything but tracing.
            headers.TryAddWithoutValidation("traceparent", traceparent);
            if (!string.IsNullOrEmpty(activity.TraceStateString))
            {
                headers.TryAddWithoutValidation("tracestate", activity.TraceStateString);
            }
        }

        // One source per attempt, cancelled after AttemptTimeout or when the caller's token is: on the
        // system clock a pooled slot of the shared timeout check; through TimeProvider's own timer
        // when another one is registered (tests).
        bool systemClock = ReferenceEquals(time, TimeProvider.System);
        var slot = systemClock ? (Volatile.Read(ref _timeouts) ?? CreateTimeouts(o)).Start(o.AttemptTimeout) : null;
        var attemptCts = slot?.Source ?? new CancellationTokenSource();
        var link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), attemptCts);
        var timer = systemClock ? null : time.CreateTimer(
            static state =>
            {
                try
                {
                    ((CancellationTokenSource)state!).Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The attempt already finished.
                }
            },
            attemptCts,
            o.AttemptTimeout,
            Timeout.InfiniteTimeSpan);

        try
        {
            var invoker = _invoker ??= CreateInvoker();
            using var response = await invoker.SendAsync(request, attemptCts.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            string? excerpt = await ReadExcerptAsync(response, attemptCts.Token).ConfigureAwait(false);
            bool ok = status is >= 200 and <= 299;
            var attempt = new WebhookAttempt
            {
                Number = attemptNumber,
                StartedAt = startedAt,
                Duration = Stopwatch.GetElapsedTime(startTicks),
                StatusCode = status,
                ResponseExcerpt = excerpt,
                ErrorKind = ok ? WebhookErrorKind.None : WebhookErrorKind.HttpStatus,
                Error = ok ? null : status is >= 300 and <= 399
                    ? $"The receiver answered {status} (a redirect); redirects are not followed: subscribe the final URL."
                    : $"The receiver answered {status} {response.ReasonPhrase}.",
            };
            return (attempt, ok ? null : GetRetryAfter(response));
        }
        catch (OperationCanceledException) when (attemptCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (Failed(WebhookErrorKind.Timeout, $"No complete answer within {o.AttemptTimeout.TotalSeconds:0.###} s (WebhookOptions.AttemptTimeout)."), null);
        }
        catch (OperationCanceledException ex) when (ex.InnerException is TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // SocketsHttpHandler reports its ConnectTimeout as a cancellation wrapping a TimeoutException.
            return (Failed(WebhookErrorKind.ConnectionFailed, $"Could not connect to the receiver within {o.ConnectTimeout.TotalSeconds:0.###} s (WebhookOptions.ConnectTimeout)."), null);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return (Failed(ClassifyKind(ex), Describe(ex)), null);
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return (Failed(WebhookErrorKind.ConnectionFailed, "The connection failed while reading the answer: " + ex.Message), null);
        }
        finally
        {
            link.Dispose(); // before the source goes back to the pool: the caller's cancellation must not reach its next user
            if (slot is not null)
            {
                _timeouts!.Finish(slot);
            }
            else
            {
                timer!.Dispose();
                attemptCts.Dispose();
            }
        }

        WebhookAttempt Failed(WebhookErrorKind kind, string error) => new()
        {
            Number = attemptNumber,
            StartedAt = startedAt,
            Duration = Stopwatch.GetElapsedTime(startTicks),
            ErrorKind = kind,
            Error = error,
        };
    }

    /// <summary>
    /// What requests are sent through: the named client's handler pipeline called directly, which
    /// spares each request HttpClient's own linked cancellation source; the client itself when the
    /// app gave it settings only HttpClient applies (default headers, a base address, a timeout).
    /// </summary>
    private HttpMessageInvoker CreateInvoker()
    {
        var client = httpClientFactory.CreateClient(WebhookHttpHandlerCheck.HttpClientName);
        if (httpClientFactory is IHttpMessageHandlerFactory handlers
            && !client.DefaultRequestHeaders.Any()
            && client.BaseAddress is null
            && client.Timeout == Timeout.InfiniteTimeSpan)
        {
            return new HttpMessageInvoker(handlers.CreateHandler(WebhookHttpHandlerCheck.HttpClientName), disposeHandler: false);
        }

        return client;
    }

    public void Dispose() => _timeouts?.Dispose();

    private WebhookAttemptTimeouts CreateTimeouts(WebhookOptions o)
    {
        var created = new WebhookAttemptTimeouts(o);
        if (Interlocked.CompareExchange(ref _timeouts, created, null) is { } first)
        {
            created.Dispose(); // another attempt made it first
            return first;
        }

        return created;
    }

    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength == 0)
        {
            return null;
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(ExcerptBytes);
        await using (stream.ConfigureAwait(false))
        try
        {
            int filled = 0;
            int read;
            while (filled < ExcerptBytes && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
            {
                filled += read;
            }

            // Drain a little more so the connection can be reused; past that, disposing drops it.
            if (filled == ExcerptBytes)
            {
                int drained = 0;
                while (drained < DrainBytes && (read = await stream.ReadAsync(buffer.AsMemory(0, ExcerptBytes), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    drained += read;
                }
            }

            return filled == 0 ? null : ToExcerpt(buffer.AsSpan(0, filled), response.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The answer as text a person can read and any store can keep: a body that is not UTF-8 text
    /// (binary, UTF-16, compressed: anything holding a NUL or invalid UTF-8) is described instead of
    /// copied, and stray control characters become U+FFFD.
    /// </summary>
    internal static string ToExcerpt(ReadOnlySpan<byte> body, string? mediaType)
    {
        if (body.Contains((byte)0) || !Utf8.IsValid(TrimPartialCharacter(body)))
        {
            return $"[binary answer: {body.Length}{(body.Length == ExcerptBytes ? "+" : "")} bytes{(mediaType is null ? "" : ", " + mediaType)}; not shown]";
        }

        var text = Encoding.UTF8.GetString(body);
        return !text.Any(IsStrayControl) ? text : string.Create(text.Length, text, static (span, t) =>
        {
            for (int i = 0; i < t.Length; i++)
            {
                span[i] = IsStrayControl(t[i]) ? '\uFFFD' : t[i];
            }
        });
    }

    private static bool IsStrayControl(char c) => char.IsControl(c) && c is not '\t' and not '\n' and not '\r';

    // The excerpt may end inside a multi-byte character; that alone does not make the body binary.
    private static ReadOnlySpan<byte> TrimPartialCharacter(ReadOnlySpan<byte> body)
    {
        int i = body.Length - 1, continuation = 0;
        while (i >= 0 && continuation < 3 && (body[i] & 0xC0) == 0x80)
        {
            i--;
            continuation++;
        }

        if (i < 0)
        {
            return body;
        }

        byte lead = body[i];
        int needed = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
        return needed > continuation ? body[..i] : body;
    }

    private static (string Name, string Value)? AuthHeader(WebhookAuth auth) => auth.Kind switch
    {
        WebhookAuthKind.Basic => ("Authorization", "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes($"{auth.Username}:{auth.Secret}"))),
        WebhookAuthKind.Bearer => ("Authorization", "Bearer " + auth.Secret),
        WebhookAuthKind.ApiKey => (auth.HeaderName!, auth.Secret!),
        _ => null,
    };

    private TimeSpan? GetRetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static WebhookErrorKind ClassifyKind(HttpRequestException ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is WebhookTargetBlockedException)
            {
                return WebhookErrorKind.Blocked;
            }
        }

        return WebhookErrorKind.ConnectionFailed;
    }

    private static string Describe(HttpRequestException ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is WebhookTargetBlockedException blocked)
            {
                return blocked.Message;
            }
        }

        var inner = ex.InnerException?.Message;
        return ex.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "The receiver's host name could not be resolved." + (inner is null ? "" : " " + inner),
            HttpRequestError.ConnectionError => "Could not connect to the receiver: " + (inner ?? ex.Message),
            HttpRequestError.SecureConnectionError => "The TLS handshake with the receiver failed: " + (inner ?? ex.Message),
            HttpRequestError.ResponseEnded => "The receiver closed the connection without a complete answer.",
            _ => "The request failed: " + ex.Message + (inner is null ? "" : " " + inner),
        };
    }

    private static string HeaderSafe(string value) =>
        value.All(c => c is >= ' ' and <= '~') ? value : new string(value.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
}
