# attack: ignore every catchable signal (SIGTERM, SIGINT, SIGHUP, SIGXCPU, SIGALRM...), then spin
# expect-error: timeout
# limits: timeout_s=2
import signal

for number in range(1, signal.NSIG):
    try:
        signal.signal(number, signal.SIG_IGN)
    except (OSError, ValueError, RuntimeError):
        pass  # SIGKILL and SIGSTOP cannot be caught


def q_backward(a, b):
    while True:
        pass
