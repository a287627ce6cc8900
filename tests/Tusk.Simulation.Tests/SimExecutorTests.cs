using Tusk.Core;
using Xunit;

namespace Tusk.Simulation.Tests;

public sealed class SimExecutorTests
{
    [Fact]
    public void EventsRunInTimeOrderThenInInsertionOrder()
    {
        var executor = new SimExecutor();
        var order = new List<string>();
        executor.Schedule(30, () => order.Add("c@30"));
        executor.Schedule(10, () => order.Add("a@10"));
        executor.Schedule(20, () => order.Add("b1@20"));
        executor.Schedule(20, () => order.Add("b2@20"));
        executor.Schedule(10, () => order.Add("a2@10"));
        executor.Schedule(20, () => order.Add("b3@20"));

        executor.RunUntil(100);

        Assert.Equal(["a@10", "a2@10", "b1@20", "b2@20", "b3@20", "c@30"], order);
        Assert.Equal(100, executor.NowMicros);
        Assert.Equal(6, executor.EventsRun);
    }

    [Fact]
    public void ZeroDelayFromAnActionRunsAfterEventsAlreadyDueThen()
    {
        var executor = new SimExecutor();
        var order = new List<string>();
        executor.Schedule(5, () =>
        {
            order.Add("first");
            executor.Schedule(0, () => order.Add("scheduled-by-first"));
        });
        executor.Schedule(5, () => order.Add("second"));

        executor.RunUntil(5);

        Assert.Equal(["first", "second", "scheduled-by-first"], order);
    }

    [Fact]
    public void StepRunsOneEventAndMovesTimeToIt()
    {
        var executor = new SimExecutor(startMicros: 1000);
        int runs = 0;
        executor.Schedule(7, () => runs++);
        executor.Schedule(9, () => runs++);

        Assert.Equal(1007, executor.NextEventMicros);
        Assert.True(executor.Step());
        Assert.Equal(1, runs);
        Assert.Equal(1007, executor.NowMicros);
        Assert.True(executor.Step());
        Assert.Equal(1009, executor.NowMicros);
        Assert.False(executor.Step());
        Assert.Null(executor.NextEventMicros);
        Assert.Equal(1009, executor.NowMicros);
    }

    [Fact]
    public void CancelledEventNeverRunsAndLeavesPending()
    {
        var executor = new SimExecutor();
        var ran = new List<int>();
        SimTimer one = executor.Schedule(10, () => ran.Add(1));
        SimTimer two = executor.Schedule(20, () => ran.Add(2));
        executor.Schedule(30, () => ran.Add(3));
        Assert.Equal(3, executor.Pending);

        Assert.True(two.Cancel());
        Assert.False(two.Cancel());
        Assert.True(two.IsCancelled);
        Assert.False(two.IsPending);
        Assert.Equal(2, executor.Pending);

        executor.RunUntil(100);

        Assert.Equal([1, 3], ran);
        Assert.Equal(0, executor.Pending);
        Assert.False(one.Cancel()); // already ran
        Assert.False(one.IsCancelled);
    }

    [Fact]
    public void AnEventCanCancelALaterOneAtTheSameInstant()
    {
        var executor = new SimExecutor();
        var ran = new List<string>();
        SimTimer? victim = null;
        executor.Schedule(10, () =>
        {
            ran.Add("killer");
            victim!.Cancel();
        });
        victim = executor.Schedule(10, () => ran.Add("victim"));

        executor.RunUntil(10);

        Assert.Equal(["killer"], ran);
    }

    [Fact]
    public void CancellingTheOnlyEventLeavesStepNothingToDo()
    {
        var executor = new SimExecutor();
        executor.Schedule(10, () => Assert.Fail("cancelled event ran")).Cancel();
        Assert.False(executor.Step());
        Assert.Equal(0, executor.NowMicros); // a cancelled event does not move time
    }

    [Fact]
    public void RunUntilTimeStopsAtTheBoundAndAdvancesTheClock()
    {
        var executor = new SimExecutor();
        var ran = new List<long>();
        foreach (long t in new long[] { 5, 50, 51 })
        {
            executor.ScheduleAt(t, () => ran.Add(executor.NowMicros));
        }

        Assert.Equal(2, executor.RunUntil(50)); // inclusive bound
        Assert.Equal([5L, 50L], ran);
        Assert.Equal(50, executor.NowMicros);

        Assert.Equal(0, executor.RunFor(0));
        Assert.Equal(1, executor.RunUntil(1_000));
        Assert.Equal(1_000, executor.NowMicros);

        Assert.Equal(0, executor.RunUntil(10)); // never goes back
        Assert.Equal(1_000, executor.NowMicros);
    }

    [Fact]
    public void RunUntilConditionStopsAsSoonAsItHolds()
    {
        var executor = new SimExecutor();
        int counter = 0;
        for (int i = 1; i <= 10; i++)
        {
            executor.Schedule(i * 100, () => counter++);
        }

        Assert.True(executor.RunUntil(() => counter == 4, deadlineMicros: 10_000));
        Assert.Equal(400, executor.NowMicros);
        Assert.Equal(6, executor.Pending);

        Assert.True(executor.RunUntil(() => counter == 4, deadlineMicros: 10_000)); // already true: runs nothing
        Assert.Equal(400, executor.NowMicros);
    }

    [Fact]
    public void RunUntilConditionGivesUpAtTheDeadlineWithoutRunningLaterEvents()
    {
        var executor = new SimExecutor();
        int counter = 0;
        executor.Schedule(100, () => counter++);
        executor.Schedule(900, () => counter++);

        Assert.False(executor.RunUntil(() => counter == 2, deadlineMicros: 500));
        Assert.Equal(500, executor.NowMicros);
        Assert.Equal(1, counter);

        // With no events at all, time still moves to the deadline, and a time-based condition sees it.
        var idle = new SimExecutor();
        Assert.True(idle.RunUntil(() => idle.NowMicros >= 300, deadlineMicros: 300));
    }

    [Fact]
    public void SchedulingIntoThePastOrWithNegativeDelayThrows()
    {
        var executor = new SimExecutor();
        executor.RunUntil(100);
        Assert.Throws<ArgumentOutOfRangeException>(() => executor.ScheduleAt(99, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => executor.Schedule(-1, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => executor.Schedule(long.MaxValue, () => { }));
        executor.ScheduleAt(100, () => { }); // now is fine
    }

    [Fact]
    public void SteppingFromInsideAnActionIsAProgrammerError()
    {
        var executor = new SimExecutor();
        executor.Schedule(1, () => executor.Step());
        executor.Schedule(2, () => { });
        Assert.Throws<InvariantViolationException>(() => executor.RunUntil(10));
    }

    [Fact]
    public void AZeroDelayFeedbackLoopIsReportedNotHung()
    {
        var executor = new SimExecutor { EventsPerInstantMax = 1_000 };
        void Loop() => executor.Schedule(0, Loop);
        executor.Schedule(5, Loop);

        var error = Assert.Throws<InvariantViolationException>(() => executor.RunUntil(10));
        Assert.Contains("EventsPerInstantMax", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, executor.NowMicros);
    }

    [Fact]
    public void PendingIsBounded()
    {
        var executor = new SimExecutor { PendingMax = 3 };
        for (int i = 0; i < 3; i++)
        {
            executor.Schedule(i, () => { });
        }
        Assert.Throws<InvariantViolationException>(() => executor.Schedule(1, () => { }));
    }

    [Fact]
    public void AnExceptionFromAnActionPropagatesAndTheExecutorCarriesOn()
    {
        var executor = new SimExecutor();
        bool later = false;
        executor.Schedule(1, () => throw new InvalidOperationException("boom"));
        executor.Schedule(2, () => later = true);

        Assert.Throws<InvalidOperationException>(() => executor.Step());
        Assert.Equal(1, executor.NowMicros);
        Assert.True(executor.Step());
        Assert.True(later);
    }

    [Fact]
    public void TraceLinesCarryVirtualTime()
    {
        var lines = new List<string>();
        var executor = new SimExecutor();
        Assert.False(executor.IsTracing);
        executor.Trace("dropped: no tracer");
        executor.Tracer = lines.Add;
        executor.Schedule(1234, () => executor.Trace("hello"));
        executor.RunUntil(2000);
        Assert.Equal(["1234 hello"], lines);
    }
}
