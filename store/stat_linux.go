package store

import (
	"os"
	"syscall"
)

// statOf reads what identifies one state of a file from its stat.
func statOf(fi os.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStat{Size: st.Size, MtimeNS: st.Mtim.Nano(), CtimeNS: st.Ctim.Nano(), Inode: uint64(st.Ino), Device: uint64(st.Dev)}, true
}
