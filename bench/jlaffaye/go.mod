module github.com/seed362563c3/ftp/bench/jlaffaye

go 1.25.0

require github.com/jlaffaye/ftp v0.2.4
