// Plain baseline: a bare net/http handler in a separate process (loadgen -serve-plain).

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// plainReply is the baseline handler's fixed answer: an orderstateResponse-shaped
// envelope of about 400 bytes.
const plainReply = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
	`<ws:orderstateResponse xmlns:ws="http://www.paysecure.ru/ws/" firstcode="0" secondcode="0" count="1">` +
	`<order><ordernumber>bench-os</ordernumber><billnumber>5400000000000001</billnumber>` +
	`<orderamount>10.00</orderamount><ordercurrency>RUB</ordercurrency><orderstate>Approved</orderstate>` +
	`</order></ws:orderstateResponse></soap:Body></soap:Envelope>`

func runPlainServer(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	reply := []byte(plainReply)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		w.Write(reply)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// The parent reads this line to learn the port.
	fmt.Printf("listening %s\n", ln.Addr())
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-sig:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// plainChild is the running baseline process.
type plainChild struct {
	cmd  *exec.Cmd
	addr string
}

func startPlainChild() (*plainChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve-plain", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	setParentDeathSignal(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, "listening ")
		if !ok || !found {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("baseline process did not report its address (got %q)", l)
		}
		return &plainChild{cmd: cmd, addr: addr}, nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("baseline process did not start within 10s")
	}
}

func (p *plainChild) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}
